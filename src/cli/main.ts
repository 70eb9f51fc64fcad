#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js';
import { AuthError } from '../core/errors.js';
import { serve } from './serve.js';

const USAGE = `Usage: tessera <command>

  serve                     serve the HTTP API
`;

/** Exit codes: 0 success, 1 a user error with a clear message, 2 an unexpected failure. */
async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config);
      return -1;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`tessera: unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof AuthError) {
      process.stderr.write(`tessera: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`tessera: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 2;
    }
  },
);
