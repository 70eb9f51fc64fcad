import type {
  AuditEntry,
  FeedMessage,
  RevocationEvent,
  Role,
  Session,
  StoredAuditEntry,
  StoredKey,
  TokenFamily,
  User,
} from './model.js';
import type { AccountTokenStore, ChallengeStore, FactorStore, MailQueue } from './lifecyclePorts.js';

/**
 * The interfaces that adapters implement (memory, sqlite, postgres, redis). Every method may reject
 * when its store is unreachable; the core turns that into 503, never into access.
 * Every adapter of a port passes that port's suite in test/contracts/.
 */

export interface UserPatch {
  role?: Role;
  disabled?: boolean;
  tokensNotBefore?: number;
  credentialsNotBefore?: number;
  passwordHash?: string;
  /** A new address (with its key) is unverified until `emailVerified` says otherwise. */
  email?: { email: string | null; emailKey: string | null };
  emailVerified?: boolean;
}

/** What an administrator's user search narrows by (issue 12). */
export interface UserFilter {
  prefix?: string;
  role?: Role;
  disabled?: boolean;
}

export interface UserStore {
  /** Inserts a user. Throws AuthError `username_taken` when `usernameKey` exists: one atomic insert. */
  createUser(user: User): Promise<void>;
  /** null when no user has that key. */
  findUserByKey(usernameKey: string): Promise<User | null>;
  /** null when no user has that id. */
  findUserById(id: string): Promise<User | null>;
  /** The user whose verified address has this key (core/email.ts `emailKey`); null when none. */
  findUserByEmail(emailKey: string): Promise<User | null>;
  /**
   * As `findUserById`, and inside a transaction the row stays locked until it ends, so that a change
   * decided from this read cannot interleave with another (PostgreSQL: FOR UPDATE).
   */
  lockUser(id: string): Promise<User | null>;
  /**
   * Applies the patch and returns the user as it now is; null when no user has that id. Throws
   * AuthError `email_taken` when it would verify an address another user has verified.
   */
  updateUser(id: string, patch: UserPatch): Promise<User | null>;
  /**
   * Users ordered by id (so by creation), after the id `after` when given; with `filter`, only those
   * whose normalised name starts with `prefix` (already normalised), of `role`, or (not) disabled.
   */
  listUsers(options: { limit: number; after?: string; filter?: UserFilter }): Promise<User[]>;
}

export interface SessionStore {
  /**
   * Inserts `session` and returns the ids of the owner's oldest live sessions beyond `cap` (ties on
   * `createdAt` broken by id; never the new one), without revoking them: the core revokes them through
   * the revocation log, so that their tombstones and their events never part.
   */
  createSession(session: Session, cap: number, now: number): Promise<string[]>;
  /** The record, live, expired or revoked, while it is retained; null when unknown or purged. */
  getSession(id: string): Promise<Session | null>;
  /** Records use: sets `lastSeenAt` when the session is not revoked; never moves it backwards. */
  touchSession(id: string, lastSeenAt: number): Promise<void>;
  /**
   * Tombstones the session, as the effect of its logged revocation: idempotent, so a relay may apply
   * it again. Returns the session as it was when it was not yet revoked, else null (unknown too).
   */
  revokeSession(id: string, reason: string, now: number): Promise<Session | null>;
  /** The user's sessions that are neither revoked nor past an end at `now`, oldest first. */
  listSessions(userId: string, now: number): Promise<Session[]>;
  /** How many sessions of all users are live at `now` (for the `tessera_live_sessions` metric). */
  countLiveSessions(now: number): Promise<number>;
  /** Deletes records whose end is before `before`. Returns how many went. */
  purgeSessions(before: number): Promise<number>;
}

export interface FamilyStore {
  /** As `createSession`: inserts, and returns the ids of the owner's oldest live families beyond `cap`. */
  createFamily(family: TokenFamily, cap: number, now: number): Promise<string[]>;
  /** The record while retained, whatever its state; null when unknown or purged. */
  getFamily(id: string): Promise<TokenFamily | null>;
  /**
   * Moves the family from generation `from` to `from + 1`, storing `secretHash` and `rotatedAt = now`,
   * only if it is still at `from` and not revoked: one conditional update, so exactly one of several
   * concurrent rotations wins. Returns the new record, or null when it lost (or the family is
   * revoked). It does not look at expiry: the core checks that first.
   */
  rotateFamily(id: string, from: number, secretHash: Buffer, now: number): Promise<TokenFamily | null>;
  /** Tombstones the family. Returns it as it was when it was not yet revoked, else null. */
  revokeFamily(id: string, reason: string, now: number): Promise<TokenFamily | null>;
  /** The user's live families at `now`, oldest first. */
  listFamilies(userId: string, now: number): Promise<TokenFamily[]>;
  /** Deletes records whose end is before `before`. */
  purgeFamilies(before: number): Promise<number>;
}

export interface KeyStore {
  /** Every stored signing key, newest first. */
  listKeys(): Promise<StoredKey[]>;
  /** Rejects when the kid exists. */
  insertKey(key: StoredKey): Promise<void>;
  /** Sets `retiredAt = at` on every key that has none, except `keepKid`. */
  retireKeysExcept(keepKid: string, at: number): Promise<void>;
  deleteKey(kid: string): Promise<void>;
  /**
   * Stores `value` under `name` unless a value is there already; returns the stored value. Instances
   * racing at first start thus agree on one server secret.
   */
  ensureSecret(name: string, value: string): Promise<string>;
  /**
   * Replaces the stored form of a key's private JWK (the same key, sealed once TESSERA_KEY_SECRET is
   * set), only where it is still `from`: a racing instance's sealing is never overwritten.
   */
  resealKey(kid: string, from: string, to: string): Promise<void>;
  /** As `resealKey`, for a named secret. */
  resealSecret(name: string, from: string, to: string): Promise<void>;
}

export interface LimitState {
  /** Hits in the current window. */
  count: number;
  windowStart: number;
  lastAt: number;
}

export interface Limiter {
  /**
   * Counts one hit on `key`, atomically. A fixed window of `windowMs` (as given at its first hit)
   * starts at the first hit; a hit at or after its end starts a new one. Returns the state after the hit.
   */
  hit(key: string, windowMs: number, now: number): Promise<LimitState>;
  /** The state of the key's current window, or null when there is none at `now`. */
  peek(key: string, now: number): Promise<LimitState | null>;
  reset(key: string): Promise<void>;
}

export interface AuditLog {
  /**
   * Appends one entry, chained to the previous one by hash (see core/audit.ts): appends are
   * serialised, so the chain never forks.
   */
  append(entry: AuditEntry): Promise<void>;
  /** Entries with `seq > after`, in order, at most `limit`. Sequence numbers start at 1 and increase. */
  read(after: number, limit: number): Promise<StoredAuditEntry[]>;
  /** The last `limit` entries, oldest first. */
  tail(limit: number): Promise<StoredAuditEntry[]>;
  /** Keeps a signed checkpoint of the head at `seq` (its exported form, JSON); one per `seq`, a repeat is ignored. */
  saveCheckpoint(seq: number, at: number, file: string): Promise<void>;
  /** The newest checkpoint kept, or null. */
  latestCheckpoint(): Promise<{ seq: number; at: number; file: string } | null>;
}

export interface FeedListener {
  onEvent(message: FeedMessage): void;
  /** The feed proved alive at `at`: everything logged before it has been delivered. */
  onHeartbeat(at: number): void;
}

export interface Subscription {
  close(): Promise<void>;
}

/** Where a subscription starts: its replay holds the events stamped at or after `sinceTime`. */
export interface FeedStart {
  sinceTime: number;
}

/**
 * The revocation log: the system of record for every revocation, in the SQL database. A state change
 * appends its events in its own transaction (`Stores.transact`: a transactional outbox), so there is
 * never a moment when the state has changed but its event could be lost.
 */
export interface RevocationLog {
  /**
   * Events with an id above `after`, in id order, at most `limit`. Ids become visible in id order
   * (appends are serialised until commit), so following "above the last id seen" misses none.
   */
  after(after: number, limit: number): Promise<FeedMessage[]>;
  /** The highest id so far; 0 for an empty log. */
  head(): Promise<number>;
  /** Events stamped at or after `sinceTime` with an id up to `upTo`, in id order. */
  since(sinceTime: number, upTo: number): Promise<FeedMessage[]>;
  /** Events whose delivery (effects and transport) is still owed, stamped before `before`, oldest first. */
  undelivered(before: number, limit: number): Promise<FeedMessage[]>;
  /** Records that these events were delivered; idempotent. */
  markDelivered(ids: readonly number[]): Promise<void>;
  /** Deletes delivered events stamped before `before`; an event still owed stays until it is delivered. */
  trim(before: number): Promise<void>;
}

/**
 * The writes of one state change, all or nothing. `users` and `families` act inside the transaction;
 * events and audit entries are appended when it commits, after every row it changed, so that locks
 * are always taken in one order: rows, then the log, then the audit chain.
 */
export interface Transaction {
  readonly users: UserStore;
  readonly families: FamilyStore;
  readonly accountTokens: AccountTokenStore;
  readonly factors: FactorStore;
  /** Mail enqueued with the change: sent once it committed, never if it did not. */
  readonly mail: MailQueue;
  /** Appends the event to the revocation log with the transaction (the outbox). */
  publish(event: RevocationEvent, delivered: boolean): void;
  audit(entry: AuditEntry): void;
}

/** What a committed transaction returns: the work's result, and the events it logged with their ids. */
export interface Committed<T> {
  value: T;
  logged: FeedMessage[];
}

/**
 * A transport of logged events to every instance and verifier (the Redis Stream). It only delivers:
 * the log decides. Delivery is idempotent by event id, so a re-publish is harmless.
 */
export interface EventBus {
  /** Delivers the event; rejects when it could not. */
  publish(message: FeedMessage): Promise<void>;
  /** Delivers the retained events from `start` on, then new ones as they come, with a heartbeat every second. */
  subscribe(listener: FeedListener, start: FeedStart): Subscription;
  /**
   * False when the transport has lost what it carried (Redis restarted without persistence, FLUSHALL,
   * or restarted at all, since its last writes may be gone): the relay then publishes the retained log
   * again, and re-applies every effect, before it calls `markIntact`. Followers send no heartbeat
   * meanwhile, so a verifier that starts then is not ready with a partial replay.
   */
  intact(): Promise<boolean>;
  markIntact(): Promise<void>;
}

export interface PasswordHasher {
  /** A PHC string. May reject with AuthError `unavailable` when hashing capacity is exhausted. */
  hash(password: string): Promise<string>;
  /** Constant work for a given hash; false for a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with other parameters than the current ones. */
  needsRehash(hash: string): boolean;
  /**
   * True when a hash started now would be refused for lack of capacity: a login can then be refused
   * before it costs any store work (load shedding).
   */
  saturated(): boolean;
}

/** Everything the core needs from outside, bundled so that one factory per deployment builds it. */
export interface Stores {
  users: UserStore;
  sessions: SessionStore;
  families: FamilyStore;
  keys: KeyStore;
  limiter: Limiter;
  audit: AuditLog;
  log: RevocationLog;
  accountTokens: AccountTokenStore;
  mail: MailQueue;
  factors: FactorStore;
  challenges: ChallengeStore;
  /** The push transport, when the deployment has one (Redis); without it, instances poll the log. */
  bus: EventBus | null;
  /** Runs `work` as one transaction of the SQL database; rejects, having changed nothing, when it fails. */
  transact<T>(work: (tx: Transaction) => Promise<T>): Promise<Committed<T>>;
  /** The migrations that opening these stores applied, in order; for `tessera migrate`. */
  migrationsApplied?: readonly string[];
  /** Resolves when every store can be written now (a probe write); rejects with the cause otherwise. */
  probe(): Promise<void>;
  close(): Promise<void>;
}
