import { ROLES, type Role, type User, isRole, roleRank } from '../core/model.js';
import { integerOption, parseCommandArgs } from './args.js';
import { CliError } from './cliError.js';
import type { Command, CommandGroup } from './command.js';
import { importCommand } from './userImport.js';
import { formatTable, print, printJson, when } from './output.js';
import { promptNewPassword, readPasswordFromStdin } from './readPassword.js';
import { requireUser } from './requireUser.js';
import { withTessera } from './withTessera.js';

function parseRole(raw: string): Role {
  if (!isRole(raw)) throw new CliError(`unknown role "${raw}": expected ${ROLES.join(' or ')}`);
  return raw;
}

const CREATE_USAGE = `Usage: tessera user create USERNAME [--role user|admin] [--password-stdin]

Creates an account. Without --password-stdin, asks for the password twice on the terminal.
  --role ROLE         user (the default) or admin; this is how the first admin is made
  --password-stdin    read the password from stdin (one line), for scripts`;

const create: Command = {
  usage: CREATE_USAGE,
  async run(args, config) {
    const options = { role: { type: 'string' }, 'password-stdin': { type: 'boolean' } } as const;
    const { values, positionals } = parseCommandArgs(args, options, ['USERNAME'], CREATE_USAGE);
    const [username = ''] = positionals;
    const role = parseRole(values.role ?? 'user');
    const user = await withTessera(config, async (tessera) => {
      // Refuse a taken name before asking for a password that would be typed for nothing.
      if (await tessera.findUserByName(username)) throw new CliError(`the username "${username}" is taken`);
      const password = values['password-stdin'] ? await readPasswordFromStdin() : await promptNewPassword(username);
      return tessera.register(username, password, null, role);
    });
    print(`created ${user.role} ${user.username} (id ${user.id})`);
    return 0;
  },
};

const ROLE_USAGE = `Usage: tessera user role USERNAME ROLE

Sets the role (${ROLES.join(' or ')}). A demotion refuses every access token issued before it, on
every server, within a second; sessions carry the new role on their next request.`;

const role: Command = {
  usage: ROLE_USAGE,
  async run(args, config) {
    const { positionals } = parseCommandArgs(args, {}, ['USERNAME', 'ROLE'], ROLE_USAGE);
    const [username = '', rawRole = ''] = positionals;
    const next = parseRole(rawRole);
    const { before, after } = await withTessera(config, async (tessera) => {
      const before = await requireUser(tessera, username);
      return { before, after: await tessera.updateUser(before.id, { role: next }, null) };
    });
    if (before.role === after.role) print(`${after.username} is already ${after.role}`);
    else if (roleRank(after.role) < roleRank(before.role)) print(`${after.username}: ${before.role} -> ${after.role} (access tokens issued before now are refused)`);
    else print(`${after.username}: ${before.role} -> ${after.role}`);
    return 0;
  },
};

function disabledCommand(disabled: boolean): Command {
  const verb = disabled ? 'disable' : 'enable';
  const usage = disabled
    ? `Usage: tessera user disable USERNAME

Refuses the user's logins, and ends their sessions, token families and access tokens, on every
server, within a second.`
    : `Usage: tessera user enable USERNAME

Lets a disabled user log in again. The disable ended their sessions and token families, so
they log in afresh.`;
  return {
    usage,
    async run(args, config) {
      const { positionals } = parseCommandArgs(args, {}, ['USERNAME'], usage);
      const [username = ''] = positionals;
      const after = await withTessera(config, async (tessera) => {
        const user = await requireUser(tessera, username);
        return tessera.updateUser(user.id, { disabled }, null);
      });
      print(`${after.username}: ${verb}d${disabled ? ' (logins, sessions and access tokens are refused)' : ''}`);
      return 0;
    },
  };
}

const LIST_USAGE = `Usage: tessera user list [--limit N] [--after ID] [--json]

Lists users, oldest first.
  --limit N     at most N users (default 100, at most 10000)
  --after ID    the page after the user with that id (printed at the end of a full page)
  --json        {"users": [...], "next": ID or null}`;

const userJson = (user: User) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  disabled: user.disabled,
  createdAt: when(user.createdAt),
});

const list: Command = {
  usage: LIST_USAGE,
  async run(args, config) {
    const options = { limit: { type: 'string' }, after: { type: 'string' }, json: { type: 'boolean' } } as const;
    const { values } = parseCommandArgs(args, options, [], LIST_USAGE);
    const limit = integerOption(values.limit, '--limit', 100, 10_000);
    // One more than asked tells whether another page follows.
    const users = await withTessera(config, (tessera) => tessera.listUsers(limit + 1, values.after));
    const page = users.slice(0, limit);
    const next = users.length > limit ? (page.at(-1)?.id ?? null) : null;
    if (values.json) {
      printJson({ users: page.map(userJson), next });
      return 0;
    }
    const rows = page.map((u) => [u.id, u.username, u.role, u.disabled ? 'disabled' : 'active', when(u.createdAt)]);
    print(page.length === 0 ? 'no users' : formatTable(['ID', 'USERNAME', 'ROLE', 'STATUS', 'CREATED'], rows));
    if (next) print(`more: tessera user list --limit ${limit} --after ${next}`);
    return 0;
  },
};

const RESET_FACTORS_USAGE = `Usage: tessera user reset-factors USERNAME

Removes every second factor of the user (TOTP, recovery codes, passkeys), for a user who lost them.
Audited; every session, token family and access token of the user is revoked, and the user signs
in with the password alone, then enrols again.`;

const resetFactors: Command = {
  usage: RESET_FACTORS_USAGE,
  async run(args, config) {
    const { positionals } = parseCommandArgs(args, {}, ['USERNAME'], RESET_FACTORS_USAGE);
    const [username = ''] = positionals;
    const user = await withTessera(config, async (tessera) => {
      const user = await requireUser(tessera, username);
      await tessera.resetFactors(user.id, null);
      return user;
    });
    print(`${user.username}: every second factor removed; every session and token revoked`);
    return 0;
  },
};

export const userCommands: CommandGroup = {
  summary: 'create, change, list and import accounts',
  verbs: { create, role, disable: disabledCommand(true), enable: disabledCommand(false), 'reset-factors': resetFactors, list, import: importCommand },
};
