import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './cliError.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives for these options: a string or a boolean per option, by its declared type. */
export type ParsedCommandArgs<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/**
 * Parses a command's arguments strictly (unknown options are errors) and checks that exactly the
 * named positionals came; any mistake is a CliError that carries the usage.
 */
export function parseCommandArgs<const O extends Options>(args: string[], options: O, names: readonly string[], usage: string): ParsedCommandArgs<O> {
  let parsed: ParsedCommandArgs<O>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError((error as Error).message.split('\n')[0] ?? 'bad arguments', usage);
  }
  const { positionals } = parsed;
  if (positionals.length < names.length) throw new CliError(`missing ${names.slice(positionals.length).join(' ')}`, usage);
  if (positionals.length > names.length) throw new CliError(`unexpected argument "${positionals[names.length]}"`, usage);
  return parsed;
}

/** A whole number option within bounds; `undefined` gives the fallback. */
export function integerOption(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new CliError(`${name} expects a whole number from 1 to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

/** True when the arguments ask for help (before any `--`, after which everything is positional). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}
