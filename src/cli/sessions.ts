import type { CredentialView } from '../core/credentials.js';
import { parseCommandArgs } from './args.js';
import type { Command, CommandGroup } from './command.js';
import { formatTable, print, printJson, when } from './output.js';
import { requireUser } from './requireUser.js';
import { withTessera } from './withTessera.js';

const LIST_USAGE = `Usage: tessera sessions list USERNAME [--json]

Lists the user's live cookie sessions and token families, oldest first.
  --json    {"sessions": [{"id", "kind", "createdAt", "lastSeenAt", "expiresAt", "ip", "userAgent"}]}`;

const credentialJson = (c: CredentialView) => ({
  id: c.id,
  kind: c.kind,
  createdAt: when(c.createdAt),
  lastSeenAt: when(c.lastSeenAt),
  expiresAt: when(c.expiresAt),
  ip: c.ip,
  userAgent: c.userAgent,
});

const list: Command = {
  usage: LIST_USAGE,
  async run(args, config) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, ['USERNAME'], LIST_USAGE);
    const [username = ''] = positionals;
    const { user, credentials } = await withTessera(config, async (tessera) => {
      const user = await requireUser(tessera, username);
      return { user, credentials: await tessera.listCredentials(user.id) };
    });
    const rows = credentials.map(credentialJson);
    if (values.json) printJson({ sessions: rows });
    else if (rows.length === 0) print(`${user.username} has no live sessions`);
    else {
      const cells = rows.map((c) => [c.id, c.kind, c.createdAt, c.lastSeenAt, c.expiresAt, c.ip, JSON.stringify(c.userAgent)]);
      print(formatTable(['ID', 'KIND', 'CREATED', 'LAST SEEN', 'EXPIRES', 'IP', 'USER AGENT'], cells));
    }
    return 0;
  },
};

const REVOKE_USAGE = `Usage: tessera sessions revoke USERNAME

Revokes every cookie session and token family of the user, and every access token issued until
now, on every server within a second. The user can log in again.`;

const revoke: Command = {
  usage: REVOKE_USAGE,
  async run(args, config) {
    const { positionals } = parseCommandArgs(args, {}, ['USERNAME'], REVOKE_USAGE);
    const [username = ''] = positionals;
    const { user, live } = await withTessera(config, async (tessera) => {
      const user = await requireUser(tessera, username);
      const live = await tessera.listCredentials(user.id);
      await tessera.revokeEverything(user.id, null);
      return { user, live };
    });
    const cookies = live.filter((credential) => credential.kind === 'cookie').length;
    const families = live.length - cookies;
    const counted = `${cookies} cookie ${cookies === 1 ? 'session' : 'sessions'}, ${families} token ${families === 1 ? 'family' : 'families'}`;
    print(`${user.username}: revoked ${counted} and every access token issued until now`);
    return 0;
  },
};

export const sessionsCommands: CommandGroup = {
  summary: "list and revoke a user's sessions and token families",
  verbs: { list, revoke },
};
