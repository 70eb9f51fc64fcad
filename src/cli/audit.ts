import type { StoredAuditEntry } from '../core/model.js';
import type { Tessera } from '../core/tessera.js';
import { integerOption, parseCommandArgs } from './args.js';
import { CliError } from './cliError.js';
import type { Command, CommandGroup } from './command.js';
import { print, printJson, when } from './output.js';
import { withTessera } from './withTessera.js';

const VERIFY_USAGE = `Usage: tessera audit verify

Checks every link of the audit log's hash chain. Exits 1, naming the first bad entry, when an entry
was changed or deleted.`;

const verify: Command = {
  usage: VERIFY_USAGE,
  async run(args, config) {
    parseCommandArgs(args, {}, [], VERIFY_USAGE);
    const check = await withTessera(config, (tessera) => tessera.verifyAudit());
    if (!check.ok) {
      throw new CliError(`audit log broken at seq ${check.brokenAt}: that entry, or one before it, was changed or deleted (${check.entries} entries before it check out)`);
    }
    print(`audit log intact: ${check.entries} ${check.entries === 1 ? 'entry' : 'entries'} checked`);
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
  verbs: { verify, tail },
};
