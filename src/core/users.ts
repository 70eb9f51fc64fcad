import type { Auditor } from './audit.js';
import type { Clock } from './clock.js';
import { toSeconds } from './clock.js';
import {
  type PasswordPolicy,
  checkPassword,
  checkUsername,
  normalizeUsername,
  usernameKey,
} from './credentialPolicy.js';
import { uuidv7 } from './crypto.js';
import { AuthError, type FieldError, isAuthError } from './errors.js';
import { LruCache } from './lru.js';
import { type ClientInfo, type Role, type User, roleRank } from './model.js';
import type { EventBus, PasswordHasher, UserPatch, UserStore } from './ports.js';
import type { Throttle } from './throttle.js';

/**
 * Accounts: registration, the password check behind both login endpoints, password changes and the
 * administrator's changes. Every rule of API.md "Registration" and the equal-work login live here.
 */
export class Users {
  readonly #store: UserStore;
  readonly #hasher: PasswordHasher;
  readonly #throttle: Throttle;
  readonly #bus: EventBus;
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
    bus: EventBus;
    audit: Auditor;
    clock: Clock;
    policy: PasswordPolicy;
  }) {
    this.#store = deps.store;
    this.#hasher = deps.hasher;
    this.#throttle = deps.throttle;
    this.#bus = deps.bus;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#policy = deps.policy;
    this.#dummyHash = deps.hasher.hash('tessera dummy password for unknown users');
    this.#dummyHash.catch(() => undefined);
  }

  get store(): UserStore {
    return this.#store;
  }

  /** Validates and creates a user. `client` null means an operator (the CLI): no address limit. */
  async register(rawUsername: string, rawPassword: string, client: ClientInfo | null, role: Role = 'user'): Promise<User> {
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
    };
    await this.#store.createUser(user);
    await this.#audit.record('register', user.id, client, role === 'user' ? null : `role ${role}`);
    return user;
  }

  /**
   * The password check behind both login endpoints. An unknown name, a wrong password and a disabled
   * account all throw the same `invalid_credentials` after the same work: one store look-up, one hash
   * check, one failure count (OWASP Authentication cheat sheet, "Authentication responses").
   */
  async authenticate(rawUsername: string, rawPassword: string, client: ClientInfo): Promise<User> {
    const password = rawPassword.normalize('NFKC');
    const user = await this.#checkPassword(usernameKey(rawUsername), password, client, 'login');
    if (this.#hasher.needsRehash(user.passwordHash)) {
      await this.#store.updateUser(user.id, { passwordHash: await this.#hasher.hash(password) });
    }
    await this.#audit.record('login_success', user.id, client);
    return user;
  }

  /** Checks the current password (throttled and counted like a login) and stores the new one. */
  async changePassword(user: User, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    const checked = await this.#checkPassword(user.usernameKey, currentPassword.normalize('NFKC'), client, 'password_change');
    const password = newPassword.normalize('NFKC');
    const error = checkPassword(password, checked.username, this.#policy, 'newPassword');
    if (error) throw new AuthError('validation_failed', { detail: 'the new password breaks the policy', errors: [error] });
    await this.#store.updateUser(checked.id, { passwordHash: await this.#hasher.hash(password) });
    await this.#audit.record('password_changed', checked.id, client);
  }

  async #checkPassword(key: string, password: string, client: ClientInfo, purpose: string): Promise<User> {
    this.#shedIfSaturated();
    await this.#throttle
      .checkLogin(key, client.ip)
      .catch((error: unknown) => this.#auditThrottled(error, 'login_throttled', `login:${key}`, client, `${purpose}: account ${key.slice(0, 64)}`));
    try {
      const user = await this.#store.findUserByKey(key);
      const ok = await this.#hasher.verify(user?.passwordHash ?? (await this.#dummyHash), password);
      if (!user || !ok || user.disabled) {
        await this.#throttle.recordLoginFailure(key, client.ip);
        await this.#audit.record('login_failure', user?.id ?? null, client, purpose);
        throw new AuthError('invalid_credentials');
      }
      await this.#throttle.recordLoginSuccess(key);
      return user;
    } finally {
      // Only once the failure is counted may the next attempt on this account be checked.
      this.#throttle.endLogin(key);
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
   * An administrator's change of role or disabled flag. A lower role or a disable sets the user's
   * not-before, so every earlier access token dies at once on every verifier; any change is published,
   * so that every instance's cached user is refreshed.
   */
  async update(id: string, change: { role?: Role; disabled?: boolean }, actor: ClientInfo | null): Promise<User> {
    const before = await this.#store.findUserById(id);
    if (!before) throw new AuthError('not_found', { detail: 'no user has that id' });
    const demoted = change.role !== undefined && roleRank(change.role) < roleRank(before.role);
    const disabling = change.disabled === true && !before.disabled;
    const now = this.#clock.now();
    const patch: UserPatch = { ...change };
    const notBefore = demoted || disabling ? this.#notBefore(now, before) : null;
    if (notBefore !== null) patch.tokensNotBefore = notBefore;
    const after = await this.#store.updateUser(id, patch);
    if (!after) throw new AuthError('not_found', { detail: 'no user has that id' });
    await this.#bus.publish({ type: 'user', userId: id, at: now, notBefore });
    if (change.role !== undefined && change.role !== before.role) {
      await this.#audit.record('role_changed', id, actor, `${before.role} -> ${change.role}`);
    }
    if (change.disabled !== undefined && change.disabled !== before.disabled) {
      await this.#audit.record(change.disabled ? 'user_disabled' : 'user_enabled', id, actor);
    }
    return after;
  }

  /** Kills every access token of the user issued until now (an admin's revoke-all). */
  async revokeAllTokens(id: string): Promise<void> {
    const before = await this.#store.findUserById(id);
    if (!before) throw new AuthError('not_found', { detail: 'no user has that id' });
    const now = this.#clock.now();
    const notBefore = this.#notBefore(now, before);
    await this.#store.updateUser(id, { tokensNotBefore: notBefore });
    await this.#bus.publish({ type: 'user', userId: id, at: now, notBefore });
  }

  /**
   * A not-before later than every `iat` issued so far: the next whole second, or past the previous
   * not-before, since tokens minted after it carry it as their `iat` (core/tokens.ts).
   */
  #notBefore(now: number, user: User): number {
    return Math.max(toSeconds(now) + 1, user.tokensNotBefore + 1);
  }

  findById(id: string): Promise<User | null> {
    return this.#store.findUserById(id);
  }

  findByName(name: string): Promise<User | null> {
    return this.#store.findUserByKey(usernameKey(name));
  }

  list(limit: number, after?: string): Promise<User[]> {
    return this.#store.listUsers(after === undefined ? { limit } : { limit, after });
  }
}
