import type { Auditor } from './audit.js';
import { type ClientInfo, type Session, type TokenFamily, familyIdleEnd, sessionIdleEnd } from './model.js';
import type { Sessions } from './sessions.js';
import type { Tokens } from './tokens.js';
import type { Users } from './users.js';

/** One live credential of a user, whichever its kind, as self-service lists it. */
export interface CredentialView {
  id: string;
  kind: 'cookie' | 'token';
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
}

const ofSession = (s: Session): CredentialView => ({
  id: s.id,
  kind: 'cookie',
  createdAt: s.createdAt,
  lastSeenAt: s.lastSeenAt,
  expiresAt: Math.min(s.expiresAt, sessionIdleEnd(s)),
  ip: s.ip,
  userAgent: s.userAgent,
});

const ofFamily = (f: TokenFamily): CredentialView => ({
  id: f.id,
  kind: 'token',
  createdAt: f.createdAt,
  lastSeenAt: f.rotatedAt,
  expiresAt: Math.min(f.expiresAt, familyIdleEnd(f)),
  ip: f.ip,
  userAgent: f.userAgent,
});

/**
 * Cookie sessions and token families together: what "log out everywhere", a password change and an
 * administrator's revoke-all act on. Each credential is revoked by its id, so each is evicted and
 * denied on every instance.
 */
export class Credentials {
  readonly #sessions: Sessions;
  readonly #tokens: Tokens;
  readonly #users: Users;
  readonly #audit: Auditor;

  constructor(sessions: Sessions, tokens: Tokens, users: Users, audit: Auditor) {
    this.#sessions = sessions;
    this.#tokens = tokens;
    this.#users = users;
    this.#audit = audit;
  }

  /** Every live session and token family of the user, oldest first. */
  async list(userId: string): Promise<CredentialView[]> {
    const [sessions, families] = await Promise.all([this.#sessions.list(userId), this.#tokens.list(userId)]);
    return [...sessions.map(ofSession), ...families.map(ofFamily)].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Revokes one credential if it is a live one of this user's; false otherwise (a 404, never another's). */
  async revoke(userId: string, id: string, reason: string, client: ClientInfo | null): Promise<boolean> {
    const mine = (await this.list(userId)).find((credential) => credential.id === id);
    if (!mine) return false;
    if (mine.kind === 'cookie') await this.#sessions.revoke(id, reason, client);
    else await this.#tokens.revokeFamily(id, reason, client);
    return true;
  }

  /** Revokes every live credential of the user except `keep`; returns how many it ended. */
  async revokeAll(userId: string, keep: string | null, reason: string, client: ClientInfo | null): Promise<number> {
    let ended = 0;
    for (const credential of await this.list(userId)) {
      if (credential.id === keep) continue;
      const revoked =
        credential.kind === 'cookie'
          ? await this.#sessions.revoke(credential.id, reason, client)
          : await this.#tokens.revokeFamily(credential.id, reason, client);
      if (revoked) ended++;
    }
    return ended;
  }

  /**
   * An administrator's "revoke everything": each session and family by id, and the user's not-before,
   * so that no access token issued until now survives, whatever family it names.
   */
  async revokeEverything(userId: string, client: ClientInfo | null): Promise<void> {
    await this.#users.revokeAllTokens(userId);
    await this.revokeAll(userId, null, 'admin_revoke_all', client);
    await this.#audit.record('user_revoked', userId, client, 'every session and token family');
  }
}
