import { ConfigError } from '../config.js';
import { AuthError, StartupError } from '../core/errors.js';
import { CliError } from './cliError.js';

/** Messages for codes whose AuthError carries no detail of its own. */
const MESSAGES: Partial<Record<AuthError['code'], string>> = {
  username_taken: 'that username is taken',
  not_found: 'not found',
  unavailable: 'a store is unreachable',
};

function describeAuthError(error: AuthError): string {
  const first = error.detail ?? MESSAGES[error.code] ?? error.code.replaceAll('_', ' ');
  const fields = (error.errors ?? []).map((field) => `\n  ${field.field}: ${field.message} (${field.code})`);
  return first + fields.join('');
}

/**
 * Prints why a command failed on stderr and returns its exit code: 1 for a mistake the operator can
 * fix (a bad argument or setting, an unknown user, a policy failure), 2 for anything unexpected, with
 * the stack, since only a bug or a broken store gets there.
 */
export function reportError(error: unknown): number {
  if (error instanceof CliError) {
    process.stderr.write(`tessera: ${error.message}\n${error.usage === undefined ? '' : `\n${error.usage}\n`}`);
    return 1;
  }
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`tessera: ${error.message}\n`);
    return 1;
  }
  if (error instanceof AuthError) {
    process.stderr.write(`tessera: ${describeAuthError(error)}\n`);
    return 1;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`tessera: unexpected failure: ${text}\n`);
  return 2;
}
