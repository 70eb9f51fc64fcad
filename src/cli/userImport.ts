import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseCommandArgs } from './args.js';
import { CliError } from './cliError.js';
import type { Command } from './command.js';
import { type ImportSummary, importUsers } from './importUsers.js';
import { print } from './output.js';
import { Progress } from './progress.js';
import { withTessera } from './withTessera.js';

const USAGE = `Usage: tessera user import FILE

Creates users from a file of JSON lines, one account per line:
  {"username": "alice", "password": "...", "role": "admin"}     ("role" is optional: user)
Names already taken are skipped, so a re-run is harmless. Hashes TESSERA_HASH_CONCURRENCY
passwords at once. Exits 1 when a line was invalid, after importing the others.`;

/** Shows at most this many line numbers per kind, so that a bad file does not flood the terminal. */
const SHOWN = 20;

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${path} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function report(summary: ImportSummary): void {
  print(`${summary.created} created, ${summary.taken} skipped (name taken), ${summary.invalid} invalid, of ${summary.lines} lines`);
  const taken = summary.takenLines;
  if (taken.length > 0) print(`taken: lines ${taken.slice(0, SHOWN).join(', ')}${taken.length > SHOWN ? ` and ${taken.length - SHOWN} more` : ''}`);
  for (const { line, reason } of summary.invalidLines.slice(0, SHOWN)) print(`line ${line}: ${reason}`);
  if (summary.invalidLines.length > SHOWN) print(`and ${summary.invalidLines.length - SHOWN} more invalid lines`);
}

export const importCommand: Command = {
  usage: USAGE,
  async run(args, config) {
    const { positionals } = parseCommandArgs(args, {}, ['FILE'], USAGE);
    const [path = ''] = positionals;
    const progress = new Progress(process.stderr, await fileSize(path));
    const summary = await withTessera(config, (tessera) =>
      importUsers(tessera, createReadStream(path), {
        concurrency: config.hashConcurrency,
        onProgress: (counts, bytes) => progress.update(counts, bytes),
      }),
    );
    progress.finish(summary);
    report(summary);
    if (summary.invalid > 0) throw new CliError(`${summary.invalid} invalid ${summary.invalid === 1 ? 'line was' : 'lines were'} not imported`);
    return 0;
  },
};
