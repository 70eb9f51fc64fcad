import { toIso } from './clock.js';
import { AuthError } from './errors.js';
import { type ClientInfo, type Role, type User, roleRank } from './model.js';
import { type Credentials, endCredential } from './credentials.js';
import type { Change, Outbox } from './outbox.js';
import type { UserPatch } from './ports.js';
import { Users } from './users.js';

const noSuchUser = (): AuthError => new AuthError('not_found', { detail: 'no user has that id' });

/**
 * The changes to an account that revoke credentials: a password change, an administrator's change of
 * role or disabled flag, and revoke-all. Each decides from the request and the user as the transaction
 * reads (and locks) it, and commits the new state with its revocation events, so that a retry after a
 * failure finds either nothing done or everything done.
 */
export class Accounts {
  readonly #users: Users;
  readonly #credentials: Credentials;
  readonly #outbox: Outbox;

  constructor(deps: { users: Users; credentials: Credentials; outbox: Outbox }) {
    this.#users = deps.users;
    this.#credentials = deps.credentials;
    this.#outbox = deps.outbox;
  }

  /**
   * Checks the current password, stores the new one and revokes every other session and token family
   * of the user, each by its id, in one change; the credential `keep` (the caller's) lives on. A retry
   * whose first attempt committed (its answer lost) finds the new password stored: it revokes whatever
   * is still live but `keep` and succeeds, rather than failing on the old password.
   */
  async changePassword(userId: string, keep: string, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    const user = await this.#users.findById(userId);
    if (!user) throw new AuthError('unauthenticated');
    const passwordHash = await this.#users.checkPasswordChange(user, currentPassword, newPassword, client);
    const sessions = (await this.#credentials.list(userId)).filter((c) => c.kind === 'cookie' && c.id !== keep);
    await this.#outbox.commit(async (change) => {
      if (!(await change.users.lockUser(userId))) throw new AuthError('unauthenticated');
      if (passwordHash !== null) await change.users.updateUser(userId, { passwordHash });
      for (const session of sessions) await endCredential(change, userId, session, 'password_changed', client);
      for (const family of await change.families.listFamilies(userId, change.now)) {
        if (family.id !== keep) await change.endFamily(family.id, 'password_changed', client);
      }
      if (passwordHash === null) return;
      change.audit('password_changed', userId, client);
      if (user.emailVerified && user.email !== null) await change.mail(user.email, { kind: 'password_changed', username: user.username, at: toIso(change.now) });
    });
  }

  /**
   * An administrator's change of role or disabled flag (HTTP and CLI alike). A lower role sets the
   * user's token not-before, so every earlier access token dies at once on every verifier. A disable
   * does that and ends every session and token family, so that enabling the account later revives none.
   */
  update(id: string, request: { role?: Role; disabled?: boolean }, actor: ClientInfo | null): Promise<User> {
    return this.#outbox.commit(async (change) => {
      const before = await change.users.lockUser(id);
      if (!before) throw noSuchUser();
      const demoted = request.role !== undefined && roleRank(request.role) < roleRank(before.role);
      const disabling = request.disabled === true && !before.disabled;
      const patch: UserPatch = {};
      if (request.role !== undefined && request.role !== before.role) patch.role = request.role;
      if (request.disabled !== undefined && request.disabled !== before.disabled) patch.disabled = request.disabled;
      if (Object.keys(patch).length === 0) return before;
      if (demoted || disabling) patch.tokensNotBefore = Users.notBefore(change.now, before);
      if (disabling) await this.#endAll(change, before, actor, 'disabled');
      const after = await change.users.updateUser(id, patch);
      if (!after) throw noSuchUser();
      change.userChanged(id, patch.tokensNotBefore ?? null);
      if (patch.role !== undefined) change.audit('role_changed', id, actor, `${before.role} -> ${patch.role}`);
      if (patch.disabled !== undefined) change.audit(patch.disabled ? 'user_disabled' : 'user_enabled', id, actor);
      return after;
    });
  }

  /** An administrator's "revoke everything": every session, token family and access token of the user until now. */
  async revokeEverything(id: string, actor: ClientInfo | null): Promise<void> {
    await this.#outbox.commit(async (change) => {
      const before = await change.users.lockUser(id);
      if (!before) throw noSuchUser();
      const notBefore = Users.notBefore(change.now, before);
      await change.users.updateUser(id, { tokensNotBefore: notBefore });
      await this.#endAll(change, before, actor, 'admin_revoke_all');
      change.userChanged(id, notBefore);
      change.audit('user_revoked', id, actor, 'every session and token family');
    });
  }

  /** An administrator's reset of the user's second factors; every credential of the user goes with them. */
  async resetFactors(id: string, actor: ClientInfo | null): Promise<void> {
    await this.#outbox.commit(async (change) => {
      const before = await change.users.lockUser(id);
      if (!before) throw noSuchUser();
      await change.factors.deleteAllFactors(id);
      const notBefore = Users.notBefore(change.now, before);
      await change.users.updateUser(id, { tokensNotBefore: notBefore });
      await this.#endAll(change, before, actor, 'factors_reset');
      change.userChanged(id, notBefore);
      change.audit('factors_reset', id, actor, 'every second factor; every session and token family');
      if (before.emailVerified && before.email !== null) {
        await change.mail(before.email, { kind: 'factor_changed', username: before.username, change: 'removed', factor: 'Every second factor', at: toIso(change.now) });
      }
    });
  }

  /**
   * A password reset: the new password and the end of every session, token family and access token of
   * the user, with whatever `also` adds (spending the link), in one change.
   */
  async resetPassword(id: string, passwordHash: string, client: ClientInfo, also: (change: Change, user: User) => Promise<void>): Promise<void> {
    await this.#outbox.commit(async (change) => {
      const before = await change.users.lockUser(id);
      if (!before) throw noSuchUser();
      await also(change, before);
      const notBefore = Users.notBefore(change.now, before);
      await change.users.updateUser(id, { passwordHash, tokensNotBefore: notBefore });
      await this.#endAll(change, before, client, 'password_reset');
      change.userChanged(id, notBefore);
      change.audit('password_reset', id, client, 'every session and token family');
    });
  }

  /**
   * Ends every credential of the user through the user record (its not-before), which needs no store
   * but the database; the families, there too, are tombstoned one by one so that lists stay exact.
   */
  async #endAll(change: Change, user: User, actor: ClientInfo | null, reason: string): Promise<void> {
    await change.users.updateUser(user.id, { credentialsNotBefore: change.now });
    for (const family of await change.families.listFamilies(user.id, change.now)) await change.endFamily(family.id, reason, actor);
  }
}
