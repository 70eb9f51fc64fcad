import { type ClientInfo, type Session, type TokenFamily, endedByUser, familyIdleEnd, sessionIdleEnd } from './model.js';
import type { Change, Outbox } from './outbox.js';
import type { UserStore } from './ports.js';
import type { Sessions } from './sessions.js';
import type { Tokens } from './tokens.js';

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

/** Ends one listed credential within a change, by its kind. */
export async function endCredential(change: Change, userId: string, credential: CredentialView, reason: string, client: ClientInfo | null): Promise<void> {
  if (credential.kind === 'cookie') change.endSession({ id: credential.id, userId }, reason, client);
  else await change.endFamily(credential.id, reason, client);
}

/**
 * Cookie sessions and token families together: what self-service lists and revokes. Each credential
 * is revoked by its id, with its event in the same change, so each is denied and evicted on every
 * instance.
 */
export class Credentials {
  readonly #sessions: Sessions;
  readonly #tokens: Tokens;
  readonly #users: UserStore;
  readonly #outbox: Outbox;

  constructor(deps: { sessions: Sessions; tokens: Tokens; users: UserStore; outbox: Outbox }) {
    this.#sessions = deps.sessions;
    this.#tokens = deps.tokens;
    this.#users = deps.users;
    this.#outbox = deps.outbox;
  }

  /** Every live session and token family of the user, oldest first; none ended by the user's not-before. */
  async list(userId: string): Promise<CredentialView[]> {
    const [user, sessions, families] = await Promise.all([this.#users.findUserById(userId), this.#sessions.list(userId), this.#tokens.list(userId)]);
    if (!user) return [];
    return [...sessions.map(ofSession), ...families.map(ofFamily)]
      .filter((credential) => !endedByUser(user, credential.createdAt))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Revokes one credential if it is a live one of this user's; false otherwise (a 404, never another's). */
  async revoke(userId: string, id: string, reason: string, client: ClientInfo | null): Promise<boolean> {
    const mine = (await this.list(userId)).find((credential) => credential.id === id);
    if (!mine) return false;
    await this.#outbox.commit((change) => endCredential(change, userId, mine, reason, client));
    return true;
  }

  /** Revokes every live credential of the user except `keep`, in one change; returns how many. */
  async revokeAllBut(userId: string, keep: string | null, reason: string, client: ClientInfo | null): Promise<number> {
    const others = (await this.list(userId)).filter((credential) => credential.id !== keep);
    if (others.length === 0) return 0;
    await this.#outbox.commit(async (change) => {
      for (const credential of others) await endCredential(change, userId, credential, reason, client);
    });
    return others.length;
  }

  /**
   * Ends a session that was just validated (a logout). It needs no session store: the end is logged in
   * the database, denied here at once, and its tombstone follows once the session store answers.
   */
  async endSession(session: { id: string; userId: string }, reason: string, client: ClientInfo | null): Promise<void> {
    await this.#outbox.commit(async (change) => change.endSession(session, reason, client));
  }
}
