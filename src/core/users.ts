import type { Auditor } from './audit.js';
import type { Clock } from './clock.js';
import { toSeconds } from './clock.js';
import {
  type PasswordPolicy,
  assertWellFormed,
  checkPassword,
  checkUsername,
  normalizeUsername,
  usernameKey,
} from './credentialPolicy.js';
import { uuidv7 } from './crypto.js';
import { AuthError, type FieldError, isAuthError } from './errors.js';
import { LruCache } from './lru.js';
import type { ClientInfo, Role, User } from './model.js';
import type { Change, Outbox } from './outbox.js';
import { emailKey } from './email.js';
import type { PasswordHasher, UserFilter, UserStore } from './ports.js';
import type { Throttle } from './throttle.js';

/**
 * Accounts: registration, and the password checks behind both login endpoints and a password change.
 * Every rule of API.md "Registration" and the equal-work login live here.
 */
export class Users {
  readonly #store: UserStore;
  readonly #hasher: PasswordHasher;
  readonly #throttle: Throttle;
  readonly #outbox: Outbox;
  readonly #audit: Auditor;
  readonly #clock: Clock;
  readonly #policy: PasswordPolicy;
  /** Throttled keys already audited in their current back-off window. */
  readonly #throttledRecorded = new LruCache<string, true>(10_000);
  /** Verified against when the name is unknown, so that both answers take one hash check. */
  readonly #dummyHash: Promise<string>;

  constructor(deps: {
    store: UserStore;
    hasher: PasswordHasher;
    throttle: Throttle;
    outbox: Outbox;
    audit: Auditor;
    clock: Clock;
    policy: PasswordPolicy;
  }) {
    this.#store = deps.store;
    this.#hasher = deps.hasher;
    this.#throttle = deps.throttle;
    this.#outbox = deps.outbox;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#policy = deps.policy;
    this.#dummyHash = deps.hasher.hash('tessera dummy password for unknown users');
    this.#dummyHash.catch(() => undefined);
  }

  /** Validates and creates a user. `client` null means an operator (the CLI): no address limit. */
  async register(
    rawUsername: string,
    rawPassword: string,
    client: ClientInfo | null,
    role: Role = 'user',
    email: { email: string; then: (change: Change, user: User) => Promise<void> } | null = null,
  ): Promise<User> {
    assertWellFormed({ username: rawUsername, password: rawPassword });
    const username = normalizeUsername(rawUsername);
    const password = rawPassword.normalize('NFKC');
    const errors = [checkUsername(username), checkPassword(password, username, this.#policy)].filter(
      (error): error is FieldError => error !== null,
    );
    if (errors.length > 0) throw new AuthError('validation_failed', { detail: 'the account details break the policy', errors });
    this.#shedIfSaturated();
    if (client) {
      await this.#throttle.hitRegistration(client.ip).catch((error: unknown) => this.#auditThrottled(error, 'registration_throttled', `register:${client.ip}`, client, null));
    }
    const key = usernameKey(username);
    if (await this.#store.findUserByKey(key)) throw new AuthError('username_taken');
    const now = this.#clock.now();
    const user: User = {
      id: uuidv7(now),
      username,
      usernameKey: key,
      role,
      disabled: false,
      passwordHash: await this.#hasher.hash(password),
      createdAt: now,
      tokensNotBefore: 0,
      credentialsNotBefore: 0,
      email: email?.email ?? null,
      emailKey: email ? emailKey(email.email) : null,
      emailVerified: false,
    };
    await this.#outbox.commit(async (change) => {
      await change.users.createUser(user);
      await email?.then(change, user);
      change.audit('register', user.id, client, role === 'user' ? null : `role ${role}`);
    });
    return user;
  }

  /**
   * The password check behind both login endpoints. An unknown name, a wrong password and a disabled
   * account all throw the same `invalid_credentials` after the same work: one store look-up, one hash
   * check, one failure count (OWASP Authentication cheat sheet, "Authentication responses").
   */
  async authenticate(rawUsername: string, rawPassword: string, client: ClientInfo): Promise<User> {
    assertWellFormed({ username: rawUsername, password: rawPassword });
    const password = rawPassword.normalize('NFKC');
    const { user } = await this.#checkPassword(usernameKey(rawUsername), password, client, 'login');
    if (this.#hasher.needsRehash(user.passwordHash)) {
      await this.#store.updateUser(user.id, { passwordHash: await this.#hasher.hash(password) });
    }
    await this.#audit.record('login_success', user.id, client);
    return user;
  }

  /**
   * A password change's checks: the new password against the policy, then the current one (throttled
   * and counted like a login). Returns the new password's hash, to be stored by the caller together
   * with the revocations the change makes; or null when the stored password already is the new one:
   * a retry of a change whose answer was lost, which must converge rather than fail.
   */
  async checkPasswordChange(user: User, currentPassword: string, newPassword: string, client: ClientInfo): Promise<string | null> {
    assertWellFormed({ currentPassword, newPassword });
    const password = newPassword.normalize('NFKC');
    const error = checkPassword(password, user.username, this.#policy, 'newPassword');
    if (error) throw new AuthError('validation_failed', { detail: 'the new password breaks the policy', errors: [error] });
    const checked = await this.#checkPassword(user.usernameKey, currentPassword.normalize('NFKC'), client, 'password_change', password);
    return checked.matched === 'current' ? this.#hasher.hash(password) : null;
  }

  /**
   * Whether `password` is the user's password now, checked like a login (throttled, a failure counted):
   * for a retried reset to tell itself from a replay.
   */
  async isCurrentPassword(user: User, password: string, client: ClientInfo): Promise<boolean> {
    assertWellFormed({ newPassword: password });
    try {
      await this.#checkPassword(user.usernameKey, password.normalize('NFKC'), client, 'password_reset_retry');
      return true;
    } catch (error) {
      if (isAuthError(error, 'invalid_credentials')) return false;
      throw error;
    }
  }

  /** A new password chosen without the current one (a reset): checked against the policy, then hashed. */
  async hashNewPassword(user: User, newPassword: string): Promise<string> {
    assertWellFormed({ newPassword });
    const password = newPassword.normalize('NFKC');
    const error = checkPassword(password, user.username, this.#policy, 'newPassword');
    if (error) throw new AuthError('validation_failed', { detail: 'the new password breaks the policy', errors: [error] });
    this.#shedIfSaturated();
    return this.#hasher.hash(password);
  }

  /**
   * `alternative`, when given, is accepted too, reported as `matched: 'alternative'`: only when the
   * password itself is wrong, so equal work holds for every other answer.
   */
  async #checkPassword(key: string, password: string, client: ClientInfo, purpose: string, alternative?: string): Promise<{ user: User; matched: 'current' | 'alternative' }> {
    this.#shedIfSaturated();
    const turn = await this.#throttle
      .checkLogin(key, client.ip)
      .catch((error: unknown) => this.#auditThrottled(error, 'login_throttled', `login:${key}`, client, `${purpose}: account ${key.slice(0, 64)}`));
    try {
      const user = await this.#store.findUserByKey(key);
      const hash = user?.passwordHash ?? (await this.#dummyHash);
      const matched = (await this.#hasher.verify(hash, password)) ? 'current' : alternative !== undefined && user && (await this.#hasher.verify(hash, alternative)) ? 'alternative' : null;
      if (!user || !matched || user.disabled) {
        await this.#throttle.recordLoginFailure(key, client.ip);
        await this.#audit.record('login_failure', user?.id ?? null, client, purpose);
        throw new AuthError('invalid_credentials');
      }
      await this.#throttle.recordLoginSuccess(turn);
      return { user, matched };
    } finally {
      // Only once the failure is counted may the next attempt on this account be checked.
      turn.release();
    }
  }

  /**
   * Refuses at once, before any store work, when no hash could start now: a flood then costs the
   * instance almost nothing per refused request (and the answer says nothing about the account).
   */
  #shedIfSaturated(): void {
    if (this.#hasher.saturated()) throw new AuthError('unavailable', { detail: 'the server is overloaded', retryAfter: 1 });
  }

  /**
   * Records a throttled attempt, once per key and back-off window: a flood against one account would
   * otherwise write an audit row per request. Rethrows the throttle's error.
   */
  async #auditThrottled(error: unknown, event: 'login_throttled' | 'registration_throttled', key: string, client: ClientInfo, reason: string | null): Promise<never> {
    const now = this.#clock.now();
    if (isAuthError(error, 'rate_limited') && this.#throttledRecorded.get(key, now) === undefined) {
      this.#throttledRecorded.set(key, true, now + (error.retryAfter ?? 1) * 1000);
      await this.#audit.record(event, null, client, reason);
    }
    throw error;
  }

  /**
   * A not-before later than every `iat` issued so far: the next whole second, or past the previous
   * not-before, since tokens minted after it carry it as their `iat` (core/tokens.ts).
   */
  static notBefore(now: number, user: User): number {
    return Math.max(toSeconds(now) + 1, user.tokensNotBefore + 1);
  }

  findById(id: string): Promise<User | null> {
    return this.#store.findUserById(id);
  }

  findByName(name: string): Promise<User | null> {
    return this.#store.findUserByKey(usernameKey(name));
  }

  /** A page of users; a name prefix is normalised as names are, so that it matches case-insensitively. */
  list(limit: number, after?: string, filter: { q?: string; role?: Role; disabled?: boolean } = {}): Promise<User[]> {
    const { q, ...rest } = filter;
    const narrowed: UserFilter = q ? { ...rest, prefix: usernameKey(q) } : rest;
    return this.#store.listUsers({ limit, ...(after === undefined ? {} : { after }), filter: narrowed });
  }
}
