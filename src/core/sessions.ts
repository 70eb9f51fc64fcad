import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { MINUTE } from './clock.js';
import { decodeBase64url, digestsEqual, parseCredential, sha256 } from './crypto.js';
import { AuthError, isAuthError } from './errors.js';
import type { Keyring } from './keyring.js';
import { LruCache } from './lru.js';
import { type Authentication, type ClientInfo, type Session, type User, endedByUser, sessionIdleEnd } from './model.js';
import type { SessionStore } from './ports.js';
import type { Revocations } from './revocations.js';
import type { UserCache } from './userCache.js';

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
  rememberIdleMs: number;
  rememberMs: number;
  /** Live sessions per user; the oldest goes first. */
  cap: number;
  /** How long a validated session may be served from this instance's cache. */
  cacheTtlMs: number;
  cacheMax: number;
}

export interface ValidSession {
  session: Session;
  user: User;
}

/** Two bytes naming the owner's shard, then 128 random bits (the secret is another 256). */
export const SESSION_ID_BYTES = 18;

/**
 * How many shards a store may spread sessions over. A session id starts with its owner's shard, so a
 * store can keep a user's sessions and their index together (one Redis Cluster slot, so that one Lua
 * script reaches them all) and find a session by its id alone.
 */
export const SESSION_SHARDS = 1024;

export const ownerShard = (userId: string): number => sha256(userId).readUInt16BE(0) % SESSION_SHARDS;

/** The shard a session id names (any string: an id minted elsewhere still maps to one shard). */
export function shardOfSession(id: string): number {
  const head = decodeBase64url(id.slice(0, 4));
  return head !== null && head.length >= 2 ? head.readUInt16BE(0) % SESSION_SHARDS : 0;
}

/** A new session id for this owner: its shard, then 16 random bytes. */
export function newSessionId(userId: string): string {
  const id = randomBytes(SESSION_ID_BYTES);
  id.writeUInt16BE(ownerShard(userId), 0);
  return id.toString('base64url');
}
export const SESSION_SECRET_BYTES = 32;

/** API.md, "Lifetimes": use is recorded at most min(60 s, idle/4) late, so a session ends early, never late. */
export const touchInterval = (idleMs: number): number => Math.min(MINUTE, idleMs / 4);

/**
 * Cookie sessions: `id.secret` credentials with only SHA-256(secret) stored, sliding idle and absolute
 * lifetimes, a per-user cap, and a per-instance cache that the revocation feed evicts, so that most
 * checks never reach the store (DESIGN.md, "Sessions as fast as tokens").
 */
export class Sessions {
  readonly #store: SessionStore;
  readonly #users: UserCache;
  readonly #revocations: Revocations;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  readonly #policy: SessionPolicy;
  readonly #cache: LruCache<string, Session>;

  constructor(deps: {
    store: SessionStore;
    users: UserCache;
    revocations: Revocations;
    keyring: Keyring;
    clock: Clock;
    policy: SessionPolicy;
  }) {
    this.#store = deps.store;
    this.#users = deps.users;
    this.#revocations = deps.revocations;
    this.#keyring = deps.keyring;
    this.#clock = deps.clock;
    this.#policy = deps.policy;
    this.#cache = new LruCache(deps.policy.cacheMax);
    deps.revocations.listen((event) => {
      if (event.type === 'credential') this.#cache.delete(event.sid);
    });
  }

  /**
   * Makes a new session (never adopting one the client sent). Returns it with the ids of the owner's
   * oldest sessions beyond the cap, which the caller ends through the revocation log.
   */
  async create(user: User, remember: boolean, auth: Authentication, client: ClientInfo): Promise<{ token: string; session: Session; overCap: string[] }> {
    const now = this.#clock.now();
    const secret = randomBytes(SESSION_SECRET_BYTES);
    const session: Session = {
      id: newSessionId(user.id),
      userId: user.id,
      amr: auth.amr,
      authTime: auth.authTime,
      secretHash: sha256(secret),
      createdAt: now,
      lastSeenAt: now,
      idleTimeoutMs: remember ? this.#policy.rememberIdleMs : this.#policy.idleMs,
      expiresAt: now + (remember ? this.#policy.rememberMs : this.#policy.absoluteMs),
      remember,
      ip: client.ip,
      userAgent: client.userAgent,
      revokedAt: null,
      revokeReason: null,
    };
    const overCap = await this.#store.createSession(session, this.#policy.cap, now);
    return { token: `${session.id}.${secret.toString('base64url')}`, session, overCap };
  }

  /** Removes a session that was made but never handed out (its login failed after): best effort. */
  async abandon(session: Session): Promise<void> {
    await this.#store.revokeSession(session.id, 'abandoned', this.#clock.now()).catch(() => undefined);
  }

  /**
   * Validates a cookie value. Throws AuthError `unauthenticated`, `session_expired`, `session_revoked`,
   * or `unavailable` when the store or the feed cannot vouch for it. One rule for every request: it
   * answers at once (a value, no promise) when this instance's caches hold the session and its user
   * and no use needs recording, and a promise only where a store must be read or written.
   */
  validate(cookie: string): ValidSession | Promise<ValidSession> {
    const credential = this.#parse(cookie);
    const now = this.#clock.now();
    const hit = this.#cache.get(credential.id, now);
    // A cached record that looks ended may be stale (another instance recorded use): ask the store.
    if (hit === undefined || this.#hasEnded(hit, now)) {
      return this.#store.getSession(credential.id).then((read) => this.#owned(this.#check(read ?? undefined, credential.secret, now), now, false));
    }
    return this.#owned(this.#check(hit, credential.secret, now), now, true);
  }

  /** The rest of validate(), once the session is checked: its owner, then its use. */
  #owned(session: Session, now: number, cached: boolean): ValidSession | Promise<ValidSession> {
    const user = this.#users.get(session.userId);
    return user instanceof Promise ? user.then((read) => this.#used(session, read, now, cached)) : this.#used(session, user, now, cached);
  }

  #used(session: Session, user: User | null, now: number, cached: boolean): ValidSession | Promise<ValidSession> {
    this.#checkUser(user, session);
    if (this.#touchDue(session, now)) {
      return this.#store.touchSession(session.id, now).then(() => this.#remember({ ...session, lastSeenAt: now }, user, now));
    }
    // A cache hit keeps its entry's expiry: cacheTtlMs bounds how long a record goes unread.
    return cached ? { session, user } : this.#remember(session, user, now);
  }

  /** The strict parse and the deny view, before any cache (and 503 first while the feed is stale). */
  #parse(cookie: string): { id: string; secret: Buffer } {
    this.#revocations.assertFresh();
    const credential = parseCredential(cookie, SESSION_ID_BYTES, SESSION_SECRET_BYTES);
    if (!credential) throw new AuthError('unauthenticated', { detail: 'the session cookie is malformed' });
    if (this.#revocations.deny.isSidDenied(credential.id)) throw new AuthError('session_revoked');
    return credential;
  }

  /** The session the secret opens, live; the same answer for an unknown id and a wrong secret, compared in constant time. */
  #check(session: Session | undefined, secret: Buffer, now: number): Session {
    if (!session || !digestsEqual(sha256(secret), session.secretHash)) throw new AuthError('unauthenticated');
    if (session.revokedAt !== null) throw new AuthError('session_revoked');
    if (this.#hasEnded(session, now)) throw new AuthError('session_expired');
    return session;
  }

  /** The owner must exist, be enabled, and not have ended this session with every other (a revoke-all). */
  #checkUser(user: User | null | undefined, session: Session): asserts user is User {
    if (!user || user.disabled) throw new AuthError('session_revoked', { detail: 'the account is disabled' });
    if (endedByUser(user, session.createdAt)) throw new AuthError('session_revoked');
  }

  #touchDue(session: Session, now: number): boolean {
    return now - session.lastSeenAt >= touchInterval(session.idleTimeoutMs);
  }

  /** Caches a record just read or touched, for cacheTtlMs at most and never past its end. */
  #remember(session: Session, user: User, now: number): ValidSession {
    this.#cache.set(session.id, session, Math.min(now + this.#policy.cacheTtlMs, session.expiresAt, sessionIdleEnd(session)));
    return { session, user };
  }

  #hasEnded(session: Session, now: number): boolean {
    return now >= session.expiresAt || now >= sessionIdleEnd(session);
  }

  /** The live session a cookie opens, or null for a dead, foreign or malformed one; `unavailable` passes. */
  async live(cookie: string): Promise<ValidSession | null> {
    return Promise.resolve()
      .then(() => this.validate(cookie))
      .catch((error: unknown) => {
      if (isAuthError(error, 'unavailable')) throw error;
      return null;
    });
  }

  /** The session id of a cookie value when it is well-formed, without checking it. */
  idOf(cookie: string): string | null {
    return parseCredential(cookie, SESSION_ID_BYTES, SESSION_SECRET_BYTES)?.id ?? null;
  }

  /** Sessions held in this instance's cache. */
  get cachedCount(): number {
    return this.#cache.size;
  }

  list(userId: string): Promise<Session[]> {
    return this.#store.listSessions(userId, this.#clock.now());
  }

  /** The CSRF token of a session: derived from it under the server secret, so nothing is stored. */
  csrfToken(sessionId: string): string {
    return csrfToken(this.#keyring, `session:${sessionId}`);
  }
}

/** CSRF tokens bound to a credential id (OWASP CSRF cheat sheet, synchroniser token, HMAC-based). */
export const csrfToken = (keyring: Keyring, binding: string): string =>
  keyring.derive(`csrf:${binding}`).toString('base64url');

export function csrfMatches(keyring: Keyring, binding: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const bytes = decodeBase64url(presented);
  return bytes !== null && digestsEqual(bytes, keyring.derive(`csrf:${binding}`));
}
