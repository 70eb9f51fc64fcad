import { readFileSync, writeFileSync } from 'node:fs';
import type { CheckpointFile } from '../core/auditCheckpoint.js';
import type { StoredAuditEntry } from '../core/model.js';
import type { Tessera } from '../core/tessera.js';
import { integerOption, parseCommandArgs } from './args.js';
import { CliError } from './cliError.js';
import type { Command, CommandGroup } from './command.js';
import { print, printJson, when } from './output.js';
import { withTessera } from './withTessera.js';

const VERIFY_USAGE = `Usage: tessera audit verify [--checkpoint FILE]

Checks every link of the audit log's hash chain, then that the log still holds what a signed
checkpoint vouched for: FILE (one made by \`audit checkpoint\` and kept elsewhere), else the newest
checkpoint kept in the database. Exits 1, naming the problem, when an entry was changed or deleted,
or the newest entries were removed.`;

/** A checkpoint file as `audit checkpoint` writes it; a CliError for anything else. */
function readCheckpoint(path: string): CheckpointFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the checkpoint ${path}: ${(error as Error).message}`);
  }
  const file = parsed as Partial<CheckpointFile>;
  if (typeof file?.checkpoint !== 'string') throw new CliError(`${path} is not a checkpoint made by "tessera audit checkpoint"`);
  return { checkpoint: file.checkpoint, jwk: file.jwk ?? null };
}

const verify: Command = {
  usage: VERIFY_USAGE,
  async run(args, config) {
    const { values } = parseCommandArgs(args, { checkpoint: { type: 'string' } }, [], VERIFY_USAGE);
    const file = values.checkpoint === undefined ? undefined : readCheckpoint(values.checkpoint);
    const check = await withTessera(config, (tessera) => tessera.verifyAudit(file));
    if (!check.ok) {
      throw new CliError(`audit log broken at seq ${check.brokenAt}: that entry, or one before it, was changed or deleted (${check.entries} entries before it check out)`);
    }
    if (check.checkpoint && !check.checkpoint.ok) throw new CliError(`audit log does not match the checkpoint: ${check.checkpoint.reason}`);
    const entries = `${check.entries} ${check.entries === 1 ? 'entry' : 'entries'} checked`;
    const anchored = check.checkpoint?.ok ? `, up to the checkpoint of entry ${check.checkpoint.claims.seq} (${when(check.checkpoint.claims.iat * 1000)})` : ', no checkpoint';
    print(`audit log intact: ${entries}${anchored}`);
    return 0;
  },
};

const CHECKPOINT_USAGE = `Usage: tessera audit checkpoint [--out FILE]

Signs the audit log's head (its last sequence number and hash) with the signing key, keeps the
checkpoint in the database, and prints it (or writes it to FILE) as JSON with the public key that
signed it. Keep copies elsewhere: \`audit verify --checkpoint FILE\` then proves that nothing up to
it was removed or changed. Running servers also make one every hour.`;

const checkpoint: Command = {
  usage: CHECKPOINT_USAGE,
  async run(args, config) {
    const { values } = parseCommandArgs(args, { out: { type: 'string' } }, [], CHECKPOINT_USAGE);
    const file = await withTessera(config, (tessera) => tessera.checkpointAudit());
    if (file === null) throw new CliError('the audit log is empty: there is nothing to vouch for yet');
    const text = `${JSON.stringify(file, null, 2)}\n`;
    if (values.out === undefined) process.stdout.write(text);
    else {
      writeFileSync(values.out, text, { mode: 0o644 });
      print(`checkpoint written to ${values.out}`);
    }
    return 0;
  },
};

const TAIL_USAGE = `Usage: tessera audit tail [-n N] [--json]

Prints the latest entries of the audit log, oldest first.
  -n N      how many (default 20, at most 10000)
  --json    {"entries": [{"seq", "at", "event", "userId", "username", "ip", "userAgent", "reason"}]}`;

/** Entries name users by id; the tail shows names too, looking each user up once. */
async function usernames(tessera: Tessera, entries: StoredAuditEntry[]): Promise<Map<string, string>> {
  const ids = new Set(entries.flatMap((entry) => (entry.userId === null ? [] : [entry.userId])));
  const names = new Map<string, string>();
  for (const id of ids) {
    const user = await tessera.findUser(id);
    if (user) names.set(id, user.username);
  }
  return names;
}

function entryLine(entry: StoredAuditEntry, names: Map<string, string>): string {
  const parts = [when(entry.at), `#${entry.seq}`, entry.event];
  if (entry.userId !== null) parts.push(`user ${names.get(entry.userId) ?? '(deleted)'} (${entry.userId})`);
  if (entry.ip !== null) parts.push(`ip ${entry.ip}`);
  if (entry.userAgent) parts.push(`agent ${JSON.stringify(entry.userAgent)}`);
  if (entry.reason !== null) parts.push(`- ${entry.reason}`);
  return parts.join('  ');
}

const tail: Command = {
  usage: TAIL_USAGE,
  async run(args, config) {
    const { values } = parseCommandArgs(args, { n: { type: 'string', short: 'n' }, json: { type: 'boolean' } }, [], TAIL_USAGE);
    const limit = integerOption(values.n, '-n', 20, 10_000);
    const { entries, names } = await withTessera(config, async (tessera) => {
      const entries = await tessera.auditTail(limit);
      return { entries, names: await usernames(tessera, entries) };
    });
    if (values.json) {
      const json = entries.map(({ hash: _hash, ...entry }) => ({ ...entry, at: when(entry.at), username: entry.userId === null ? null : (names.get(entry.userId) ?? null) }));
      printJson({ entries: json });
    } else {
      print(entries.length === 0 ? 'the audit log is empty' : entries.map((entry) => entryLine(entry, names)).join('\n'));
    }
    return 0;
  },
};

export const auditCommands: CommandGroup = {
  summary: 'check and read the tamper-evident audit log',
  verbs: { verify, checkpoint, tail },
};
