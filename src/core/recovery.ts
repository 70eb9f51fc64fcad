import type { Accounts } from './accounts.js';
import type { Clock } from './clock.js';
import { HOUR, MINUTE, toIso } from './clock.js';
import { assertWellFormed, usernameKey } from './credentialPolicy.js';
import { digestsEqual, parseCredential, randomToken, sha256 } from './crypto.js';
import { checkEmail, emailKey, normalizeEmail } from './email.js';
import { AuthError } from './errors.js';
import type { AccountToken, AccountTokenPurpose, AccountTokenStore, MailJob } from './lifecyclePorts.js';
import type { ClientInfo, User } from './model.js';
import type { Change, Outbox } from './outbox.js';
import type { Limiter, UserStore } from './ports.js';
import type { Users } from './users.js';

export const VERIFY_EMAIL_TTL_MS = 24 * HOUR;
export const RESET_TTL_MS = 15 * MINUTE;
const TOKEN_ID_BYTES = 16;
const TOKEN_SECRET_BYTES = 32;

/** Reset requests allowed per hour, per client address and per account named (existing or not). */
export const RESET_LIMITS = { perAddress: 10, perAccount: 3, windowMs: HOUR } as const;

/** Where the links in mail point: the pages read the token from the fragment, which never reaches a log. */
export interface AccountLinks {
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
}

const badLink = (): AuthError =>
  new AuthError('validation_failed', {
    detail: 'the link is invalid, expired or already used',
    errors: [{ field: 'token', code: 'invalid_or_used', message: 'is invalid, expired or already used' }],
  });

interface ResetRequest {
  identifier: string;
  ip: string;
  userAgent: string;
}

/**
 * E-mail addresses, their verification, and password reset (ASVS 5.0 V6.4). Links carry single-use
 * tokens `id.secret` of which only SHA-256(secret) is stored. A reset request does the same work
 * whoever it names: it is queued as is, and the mail worker resolves it off the request path.
 */
export class Recovery {
  readonly #users: Users;
  readonly #store: UserStore;
  readonly #tokens: AccountTokenStore;
  readonly #accounts: Accounts;
  readonly #outbox: Outbox;
  readonly #limiter: Limiter;
  readonly #clock: Clock;
  readonly #links: AccountLinks;

  constructor(deps: { users: Users; store: UserStore; tokens: AccountTokenStore; accounts: Accounts; outbox: Outbox; limiter: Limiter; clock: Clock; links: AccountLinks }) {
    this.#users = deps.users;
    this.#store = deps.store;
    this.#tokens = deps.tokens;
    this.#accounts = deps.accounts;
    this.#outbox = deps.outbox;
    this.#limiter = deps.limiter;
    this.#clock = deps.clock;
    this.#links = deps.links;
  }

  /**
   * Sets or removes the user's address. A new address is unverified, and a link to verify it goes to
   * it; the same address again only sends a new link while it is unverified.
   */
  async setEmail(userId: string, raw: string | null, client: ClientInfo | null): Promise<User> {
    const email = raw === null ? null : this.#checked(raw);
    return this.#outbox.commit(async (change) => {
      const user = await change.users.lockUser(userId);
      if (!user) throw new AuthError('not_found', { detail: 'no user has that id' });
      const key = email === null ? null : emailKey(email);
      if (key === user.emailKey && (user.emailVerified || key === null)) return user;
      const after = (await change.users.updateUser(userId, { email: { email, emailKey: key }, emailVerified: false })) ?? user;
      if (key !== user.emailKey) change.audit('email_changed', userId, client, email === null ? 'removed' : null);
      if (email !== null) await this.#sendVerification(change, after, email);
      return after;
    });
  }

  /** Validates an address given at registration, before the account exists. */
  checkEmail(raw: string): string {
    return this.#checked(raw);
  }

  /** Queues a verification link for an address just set (registration does it in its own change). */
  async #sendVerification(change: Change, user: User, email: string): Promise<void> {
    const token = await this.#issue(change, user.id, 'verify_email', VERIFY_EMAIL_TTL_MS, email);
    await change.mail(email, { kind: 'verify_email', username: user.username, link: this.#links.verifyEmail(token), hours: VERIFY_EMAIL_TTL_MS / HOUR });
  }

  sendVerification(change: Change, user: User, email: string): Promise<void> {
    return this.#sendVerification(change, user, email);
  }

  /** Proves the address the link was sent to, if it is still the user's. Throws `email_taken` when another account verified it first. */
  async verifyEmail(link: string, client: ClientInfo): Promise<User> {
    const token = await this.#valid(link, 'verify_email');
    return this.#outbox.commit(async (change) => {
      const user = await change.users.lockUser(token.userId);
      if (!user || token.email === null || user.emailKey !== emailKey(token.email)) throw badLink();
      if (!(await change.accountTokens.useToken(token.id, change.now))) throw badLink();
      const holder = await change.users.findUserByEmail(emailKey(token.email));
      if (holder && holder.id !== user.id) throw new AuthError('email_taken');
      const after = (await change.users.updateUser(user.id, { emailVerified: true })) ?? user;
      change.audit('email_verified', user.id, client);
      return after;
    });
  }

  /**
   * "Forgot password": the same answer and the same work for every identifier, known or not: a
   * throttle check and one queued job. The worker resolves it (`resolveResetRequest`).
   */
  async requestReset(identifier: string, client: ClientInfo): Promise<void> {
    assertWellFormed({ identifier });
    const now = this.#clock.now();
    const name = identifier.includes('@') ? `email:${emailKey(identifier)}` : `name:${usernameKey(identifier)}`;
    const [address, account] = await Promise.all([
      this.#limiter.hit(`reset:ip:${client.ip}`, RESET_LIMITS.windowMs, now),
      this.#limiter.hit(`reset:account:${name.slice(0, 300)}`, RESET_LIMITS.windowMs, now),
    ]);
    const over = [address.count > RESET_LIMITS.perAddress && address, account.count > RESET_LIMITS.perAccount && account].find((s) => s !== false);
    if (over) {
      const retryAfter = Math.max(1, Math.ceil((over.windowStart + RESET_LIMITS.windowMs - now) / 1000));
      throw new AuthError('rate_limited', { detail: 'too many reset requests; try again later', retryAfter });
    }
    const request: ResetRequest = { identifier, ip: client.ip, userAgent: client.userAgent };
    await this.#outbox.commit((change) => change.queue('reset_request', request));
  }

  /** The worker's half of a reset request: a link to the account's verified address, when there is one. */
  async resolveResetRequest(job: MailJob): Promise<void> {
    const request = JSON.parse(job.payload) as ResetRequest;
    const user = request.identifier.includes('@')
      ? await this.#store.findUserByEmail(emailKey(request.identifier))
      : await this.#store.findUserByKey(usernameKey(request.identifier));
    if (!user || user.disabled || !user.emailVerified || user.email === null) return;
    const email = user.email;
    await this.#outbox.commit(async (change) => {
      const token = await this.#issue(change, user.id, 'reset_password', RESET_TTL_MS, null);
      await change.mail(email, { kind: 'reset_password', username: user.username, link: this.#links.resetPassword(token), minutes: RESET_TTL_MS / MINUTE });
      change.audit('password_reset_requested', user.id, { ip: request.ip, userAgent: request.userAgent });
    });
  }

  /**
   * Completes a reset: the new password (policy applies), every session, token family and access token
   * of the user revoked, every other reset link void, all in one change; a notice to the verified address.
   */
  async completeReset(link: string, newPassword: string, client: ClientInfo): Promise<void> {
    const token = await this.#genuine(link, 'reset_password');
    const user = await this.#users.findById(token.userId);
    if (!user || this.#clock.now() >= token.expiresAt) throw badLink();
    if (token.usedAt !== null) {
      // A retry of a reset that committed (its answer lost) converges; a replay with another password
      // fails. The comparison counts against the account's throttle, so it is no guessing oracle.
      if (await this.#users.isCurrentPassword(user, newPassword, client)) return;
      throw badLink();
    }
    const passwordHash = await this.#users.hashNewPassword(user, newPassword);
    await this.#accounts.resetPassword(user.id, passwordHash, client, async (change, locked) => {
      if (!(await change.accountTokens.useToken(token.id, change.now))) throw badLink();
      await change.accountTokens.useAll(user.id, 'reset_password', change.now);
      if (locked.emailVerified && locked.email !== null) {
        await change.mail(locked.email, { kind: 'password_changed', username: locked.username, at: toIso(change.now) });
      }
    });
  }

  /** A token of this purpose that is unused and unexpired, whose secret matches; else the one refusal. */
  async #valid(link: string, purpose: AccountTokenPurpose): Promise<AccountToken> {
    const token = await this.#genuine(link, purpose);
    if (token.usedAt !== null || this.#clock.now() >= token.expiresAt) throw badLink();
    return token;
  }

  /** A token of this purpose whose secret matches, used or not. */
  async #genuine(link: string, purpose: AccountTokenPurpose): Promise<AccountToken> {
    const credential = parseCredential(link, TOKEN_ID_BYTES, TOKEN_SECRET_BYTES);
    const token = credential && (await this.#tokens.getToken(credential.id));
    if (!credential || !token || token.purpose !== purpose || !digestsEqual(sha256(credential.secret), token.secretHash)) throw badLink();
    return token;
  }

  async #issue(change: Change, userId: string, purpose: AccountTokenPurpose, ttlMs: number, email: string | null): Promise<string> {
    const id = randomToken(TOKEN_ID_BYTES);
    const secret = randomToken(TOKEN_SECRET_BYTES);
    await change.accountTokens.createToken({
      id,
      userId,
      purpose,
      secretHash: sha256(Buffer.from(secret, 'base64url')),
      email,
      createdAt: change.now,
      expiresAt: change.now + ttlMs,
      usedAt: null,
    });
    return `${id}.${secret}`;
  }

  #checked(raw: string): string {
    assertWellFormed({ email: raw });
    const email = normalizeEmail(raw);
    const error = checkEmail(email);
    if (error) throw new AuthError('validation_failed', { detail: 'the e-mail address is not valid', errors: [error] });
    return email;
  }
}
