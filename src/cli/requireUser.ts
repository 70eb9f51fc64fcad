import type { User } from '../core/model.js';
import type { Tessera } from '../core/tessera.js';
import { CliError } from './cliError.js';

/** The user with that name (matched as login matches it), or a CliError naming it. */
export async function requireUser(tessera: Tessera, username: string): Promise<User> {
  const user = await tessera.findUserByName(username);
  if (!user) throw new CliError(`no user named "${username}"`);
  return user;
}
