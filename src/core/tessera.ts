import type { AccessClaims } from './accessToken.js';
import { Accounts } from './accounts.js';
import { Auditor, type ChainCheck, verifyAuditChain } from './audit.js';
import { CHECKPOINT_TYP, type CheckpointCheck, type CheckpointFile, verifyWithCheckpoint } from './auditCheckpoint.js';
import type { Clock } from './clock.js';
import { HOUR, MINUTE, SECOND, toSeconds } from './clock.js';
import type { PasswordPolicy } from './credentialPolicy.js';
import { type CredentialView, Credentials } from './credentials.js';
import { AuthError, isAuthError } from './errors.js';
import { FeedLog } from './feedLog.js';
import { LogFollower, MAX_POLL_MS } from './follower.js';
import { KEY_RELOAD_MS, type Lifetimes, RECORD_RETENTION_MS, lifetimes, replayStart } from './lifetimes.js';
import { type MfaPending, type SessionLogin, Logins } from './logins.js';
import { type FactorStatus, type SecondFactorProof, type TotpEnrolment, type WebAuthnSettings, Factors } from './factors.js';
import type { MailTransport, Passkey } from './lifecyclePorts.js';
import { Mailer } from './mail.js';
import { openWithKey, sealWithKey } from './sealing.js';
import { type AccountLinks, Recovery } from './recovery.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { AuditEvent, Authentication, ClientInfo, Role, SigningAlg, StoredAuditEntry, StoredKey, Transport, User } from './model.js';
import { Keyring } from './keyring.js';
import { Outbox } from './outbox.js';
import type { PasswordHasher, Stores } from './ports.js';
import { Revocations } from './revocations.js';
import { type SessionPolicy, type ValidSession, Sessions, csrfMatches, csrfToken } from './sessions.js';
import { guardStores } from './storeGuard.js';
import { type StoreFailure, StoreHealth } from './storeHealth.js';
import { Throttle } from './throttle.js';
import { TokenVerifier } from './tokenVerifier.js';
import { type IssuedTokens, type TokenPolicy, Tokens } from './tokens.js';
import { UserCache } from './userCache.js';
import { Users } from './users.js';

export interface CoreOptions {
  sessions: Omit<SessionPolicy, 'cacheTtlMs' | 'cacheMax'> & Partial<Pick<SessionPolicy, 'cacheTtlMs' | 'cacheMax'>>;
  tokens: TokenPolicy;
  passwords: PasswordPolicy;
  signing: { alg: SigningAlg; hs256Secret: string | null; keySecret: string | null };
  maxStalenessMs: number;
  tokenCache: boolean;
  /** How often an instance polls the revocation log (default 200, at most 250 ms). */
  pollMs?: number;
  /**
   * `manual`: only `feedHeartbeat()` proves the feed alive, for tests on a manual clock that decide
   * when the feed goes stale; events still flow. Default `feed`: every successful poll does.
   */
  heartbeats?: 'feed' | 'manual';
  /** Background work that failed (a delivery the relay retries, a purge); for the log. */
  onBackgroundError?: (error: unknown, what: string) => void;
  /** Where mail goes (SMTP, or files for the embedded default). */
  mail: MailTransport;
  /**
   * `manual`: mail queued by a request waits for `deliverMail()` (tests that look at a request's own
   * work). Default `auto`: the worker drains the queue at once after such a commit.
   */
  mailWorker?: 'auto' | 'manual';
  /** The WebAuthn relying party; by default the issuer's host and origin. */
  webauthn?: Partial<WebAuthnSettings>;
}

/** How often the relay looks for deliveries still owed. */
const RELAY_MS = 500;
/** How often the mail worker looks for mail due (mail queued by a request is sent at once). */
const MAIL_MS = 5 * SECOND;

export interface Readiness {
  ready: boolean;
  stores: 'ok' | 'failing';
  feed: 'fresh' | 'stale';
  /** The store that failed last and why, while it counts against readiness. */
  failure: StoreFailure | null;
}

/**
 * The composition root: every service wired to one set of stores, and the use cases that HTTP and the
 * CLI call. Nothing outside the core reaches a store. Building it does no I/O except loading the keys;
 * `start()` follows the revocation log and runs upkeep.
 */
export class Tessera {
  readonly lifetimes: Readonly<Lifetimes>;
  readonly #stores: Stores;
  readonly #clock: Clock;
  readonly #health: StoreHealth;
  readonly #keyring: Keyring;
  readonly #revocations: Revocations;
  readonly #auditor: Auditor;
  readonly #outbox: Outbox;
  readonly #users: Users;
  readonly #sessions: Sessions;
  readonly #tokens: Tokens;
  readonly #credentials: Credentials;
  readonly #accounts: Accounts;
  readonly #logins: Logins;
  readonly #factors: Factors;
  readonly #recovery: Recovery;
  readonly #mailer: Mailer;
  readonly #verifier: TokenVerifier;
  readonly #options: CoreOptions;
  readonly #feedLog: FeedLog;
  #follower: LogFollower | null = null;
  #timers: NodeJS.Timeout[] = [];
  readonly #reported = new Map<string, number>();

  private constructor(stores: Stores, health: StoreHealth, keyring: Keyring, hasher: PasswordHasher, clock: Clock, options: CoreOptions) {
    const life = lifetimes(options.tokens.accessTtlMs);
    this.lifetimes = life;
    this.#stores = stores;
    this.#health = health;
    this.#keyring = keyring;
    this.#clock = clock;
    this.#options = options;
    const revocations = new Revocations({ clock, maxStalenessMs: options.maxStalenessMs, retainMs: life.revocationRetainMs });
    this.#revocations = revocations;
    this.#feedLog = new FeedLog(life.revocationRetainMs);
    this.#auditor = new Auditor(stores.audit, clock);
    const outbox = new Outbox({
      stores,
      revocations,
      auditor: this.#auditor,
      clock,
      lifetimes: life,
      onDeliveryError: (error) => this.#backgroundError(error, 'a revocation is logged; its delivery waits for the relay'),
      onMailQueued: () => {
        if (options.mailWorker !== 'manual') void this.deliverMail().catch((error: unknown) => this.#backgroundError(error, 'the mail worker'));
      },
      sealMail: (payload) => sealWithKey(payload, keyring.derive('mail-queue'), 'mail'),
    });
    this.#outbox = outbox;
    const userCache = new UserCache(stores.users, revocations, clock, { ttlMs: 30 * SECOND, max: 100_000 });
    const throttle = new Throttle(stores.limiter, clock);
    this.#users = new Users({ store: stores.users, hasher, throttle, outbox, audit: this.#auditor, clock, policy: options.passwords });
    this.#sessions = new Sessions({ store: stores.sessions, users: userCache, revocations, keyring, clock, policy: { cacheTtlMs: 30 * SECOND, cacheMax: 100_000, ...options.sessions } });
    this.#tokens = new Tokens({ families: stores.families, users: stores.users, keyring, revocations, outbox, clock, policy: options.tokens });
    this.#credentials = new Credentials({ sessions: this.#sessions, tokens: this.#tokens, users: stores.users, outbox });
    this.#accounts = new Accounts({ users: this.#users, credentials: this.#credentials, outbox });
    const issuer = new URL(options.tokens.issuer);
    this.#factors = new Factors({
      store: stores.factors,
      challenges: stores.challenges,
      outbox,
      throttle,
      clock,
      derive: (purpose) => keyring.derive(purpose),
      webauthn: { rpId: issuer.hostname, rpName: 'Tessera', origins: [issuer.origin], ...options.webauthn },
    });
    this.#logins = new Logins({ users: this.#users, sessions: this.#sessions, tokens: this.#tokens, factors: this.#factors, outbox, clock });
    const links: AccountLinks = {
      verifyEmail: (token) => `${issuer.origin}/account/verify-email#token=${token}`,
      resetPassword: (token) => `${issuer.origin}/account/reset-password#token=${token}`,
    };
    this.#recovery = new Recovery({ users: this.#users, store: stores.users, tokens: stores.accountTokens, accounts: this.#accounts, outbox, limiter: stores.limiter, clock, links });
    this.#mailer = new Mailer({
      queue: stores.mail,
      transport: options.mail,
      clock,
      resolve: (job) => this.#recovery.resolveResetRequest(job),
      open: (payload) => openWithKey(payload, keyring.derive('mail-queue'), 'mail'),
    });
    let lastReload = 0;
    this.#verifier = new TokenVerifier({
      issuer: options.tokens.issuer,
      audience: options.tokens.audience,
      leeway: life.leewaySeconds,
      keys: {
        get: (kid) => keyring.get(kid),
        // An unknown kid may be a key rotated on another instance; re-read at most once a second.
        refresh: async () => {
          if (clock.now() - lastReload < SECOND) return false;
          lastReload = clock.now();
          await keyring.reload();
          return true;
        },
      },
      revocations,
      clock,
      cache: options.tokenCache,
    });
  }

  static async create(stores: Stores, hasher: PasswordHasher, clock: Clock, options: CoreOptions): Promise<Tessera> {
    const health = new StoreHealth(clock);
    const guarded = guardStores(stores, health);
    const keyring = await Keyring.open(guarded.keys, { ...options.signing, retainMs: lifetimes(options.tokens.accessTtlMs).keyRetainMs, clock });
    return new Tessera(guarded, health, keyring, hasher, clock, options);
  }

  /**
   * Follows the revocation log, replaying whatever may still refuse a token in flight, and resolves once
   * the replay is in (the first heartbeat) or a timeout passes: a log that cannot be read leaves the
   * instance failing closed (503) until it can. With upkeep, runs the relay, purges and key reloads.
   */
  async start(options: { upkeep?: boolean; replayTimeoutMs?: number } = {}): Promise<void> {
    const manual = this.#options.heartbeats === 'manual';
    let replayed = false;
    await new Promise<void>((resolve) => {
      setTimeout(resolve, options.replayTimeoutMs ?? 5 * SECOND).unref();
      const revocations = this.#revocations;
      this.#follower = new LogFollower({
        log: this.#stores.log,
        bus: this.#stores.bus,
        clock: this.#clock,
        sinceTime: replayStart(this.#clock.now(), this.lifetimes),
        pollMs: this.#options.pollMs ?? 200,
        listener: {
          onEvent: (message) => revocations.onEvent(message),
          onHeartbeat: (at) => {
            if (!manual || !replayed) revocations.onHeartbeat(at);
            replayed = true;
            resolve();
          },
        },
        onOrdered: (message) => this.#feedLog.append(message),
      });
      this.#follower.start();
    });
    if (options.upkeep !== false) {
      this.#every(RELAY_MS, () => this.#outbox.relay(), 'the relay');
      this.#every(MINUTE, () => this.purge(), 'the purge');
      this.#every(HOUR, () => this.#stores.log.trim(this.#clock.now() - this.lifetimes.logRetainMs), 'the log trim');
      this.#every(KEY_RELOAD_MS, () => this.reloadKeys(), 'the key reload');
      this.#every(HOUR, () => this.checkpointAudit(), 'the audit checkpoint');
      this.#every(MAIL_MS, () => this.deliverMail(), 'the mail worker');
    }
  }

  #every(ms: number, task: () => Promise<unknown>, what: string): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void task()
        .catch((error: unknown) => this.#backgroundError(error, what))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /** Reports background failures, each kind at most once per 10 s: a relay retrying twice a second while Redis is away says so once. */
  #backgroundError(error: unknown, what: string): void {
    const now = this.#clock.now();
    if (now - (this.#reported.get(what) ?? Number.NEGATIVE_INFINITY) < 10 * SECOND) return;
    this.#reported.set(what, now);
    this.#options.onBackgroundError?.(error, what);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#follower?.close();
    this.#follower = null;
    await this.#stores.close();
  }

  // Use cases: each one change, committed with its revocations (src/core/outbox.ts).

  /**
   * Validates and creates a user. `client` null means an operator (the CLI): no address limit. With an
   * e-mail address, a link to verify it is queued in the same change.
   */
  register(username: string, password: string, client: ClientInfo | null, role: Role = 'user', email?: string): Promise<User> {
    const address = email === undefined ? null : this.#recovery.checkEmail(email);
    const then = (change: Parameters<Recovery['sendVerification']>[0], user: User) => this.#recovery.sendVerification(change, user, address ?? '');
    return this.#users.register(username, password, client, role, address === null ? null : { email: address, then });
  }

  /** A password login: a session, or an MFA challenge when the account has a second factor. */
  logInWithSession(username: string, password: string, remember: boolean, presentedCookie: string | undefined, client: ClientInfo): Promise<SessionLogin | MfaPending> {
    return this.#logins.withSession(username, password, remember, presentedCookie, client);
  }

  logInWithTokens(username: string, password: string, transport: Transport, client: ClientInfo): Promise<IssuedTokens | MfaPending> {
    return this.#logins.withTokens(username, password, transport, client);
  }

  /** The second step of a login: the challenge and a TOTP code, a recovery code or a passkey assertion. */
  completeSessionMfa(challenge: string, proof: SecondFactorProof, presentedCookie: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    return this.#logins.sessionAfterMfa(challenge, proof, presentedCookie, client);
  }

  completeTokensMfa(challenge: string, proof: SecondFactorProof, client: ClientInfo): Promise<IssuedTokens> {
    return this.#logins.tokensAfterMfa(challenge, proof, client);
  }

  /** WebAuthn options for a passkey as the second factor of a challenge. */
  mfaPasskeyOptions(challenge: string): ReturnType<Factors['mfaPasskeyOptions']> {
    return this.#factors.mfaPasskeyOptions(challenge);
  }

  /** WebAuthn options for signing in with a passkey alone (no user name). */
  passkeyLoginOptions(): ReturnType<Factors['passkeyLoginOptions']> {
    return this.#factors.passkeyLoginOptions();
  }

  logInWithPasskeySession(ceremony: string, response: AuthenticationResponseJSON, remember: boolean, presentedCookie: string | undefined, client: ClientInfo): Promise<SessionLogin> {
    return this.#logins.sessionWithPasskey(ceremony, response, remember, presentedCookie, client);
  }

  logInWithPasskeyTokens(ceremony: string, response: AuthenticationResponseJSON, transport: Transport, client: ClientInfo): Promise<IssuedTokens> {
    return this.#logins.tokensWithPasskey(ceremony, response, transport, client);
  }

  // The account lifecycle: e-mail, recovery, second factors (ASVS 5.0 V6, V7).

  /** Sets (or, with null, removes) the user's address; needs a recent authentication. */
  async setEmail(userId: string, auth: Authentication, email: string | null, client: ClientInfo): Promise<User> {
    await this.#factors.assertRecent(userId, auth);
    return this.#recovery.setEmail(userId, email, client);
  }

  /** Follows a verification link's token. */
  verifyEmail(token: string, client: ClientInfo): Promise<User> {
    return this.#recovery.verifyEmail(token, client);
  }

  /** "Forgot password": the same answer whether or not the account exists. */
  requestPasswordReset(identifier: string, client: ClientInfo): Promise<void> {
    return this.#recovery.requestReset(identifier, client);
  }

  /** Follows a reset link's token: the new password, and every credential of the user revoked. */
  resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    return this.#recovery.completeReset(token, newPassword, client);
  }

  factorStatus(userId: string): Promise<FactorStatus> {
    return this.#factors.status(userId);
  }

  async enrolTotp(userId: string, auth: Authentication): Promise<TotpEnrolment> {
    const user = await this.#recentUser(userId, auth);
    return this.#factors.enrolTotp(user, new URL(this.#options.tokens.issuer).host);
  }

  async confirmTotp(userId: string, auth: Authentication, code: string, client: ClientInfo): Promise<string[]> {
    return this.#factors.confirmTotp(await this.#recentUser(userId, auth), code, client);
  }

  async removeTotp(userId: string, auth: Authentication, client: ClientInfo): Promise<boolean> {
    return this.#factors.removeTotp(await this.#recentUser(userId, auth), client);
  }

  async regenerateRecoveryCodes(userId: string, auth: Authentication, client: ClientInfo): Promise<string[]> {
    return this.#factors.regenerateRecoveryCodes(await this.#recentUser(userId, auth), client);
  }

  async passkeyRegistrationOptions(userId: string, auth: Authentication): ReturnType<Factors['passkeyRegistrationOptions']> {
    return this.#factors.passkeyRegistrationOptions(await this.#recentUser(userId, auth));
  }

  async addPasskey(userId: string, auth: Authentication, ceremony: string, response: RegistrationResponseJSON, name: string | undefined, client: ClientInfo): Promise<Passkey> {
    return this.#factors.addPasskey(await this.#recentUser(userId, auth), ceremony, response, name, client);
  }

  listPasskeys(userId: string): Promise<Passkey[]> {
    return this.#factors.listPasskeys(userId);
  }

  renamePasskey(userId: string, id: string, name: string): Promise<boolean> {
    return this.#factors.renamePasskey(userId, id, name);
  }

  async deletePasskey(userId: string, auth: Authentication, id: string, client: ClientInfo): Promise<boolean> {
    return this.#factors.deletePasskey(await this.#recentUser(userId, auth), id, client);
  }

  /** An administrator's reset of a user's second factors: audited, and every credential of the user revoked. */
  resetFactors(userId: string, actor: ClientInfo | null): Promise<void> {
    return this.#accounts.resetFactors(userId, actor);
  }

  async #recentUser(userId: string, auth: Authentication): Promise<User> {
    const user = await this.#users.findById(userId);
    if (!user) throw new AuthError('unauthenticated');
    await this.#factors.assertRecent(userId, auth);
    return user;
  }

  /** One pass of the mail worker now (it runs every 5 s, and at once after mail is queued). */
  deliverMail(): Promise<number> {
    return this.#mailer.drain();
  }

  /** Mail not sent yet, and where mail goes. */
  async mailQueue(): Promise<{ pending: number; transport: string }> {
    return { pending: await this.#stores.mail.pending(), transport: this.#mailer.describe };
  }

  /** Spends a refresh token for a new pair (rotation, reuse detection). */
  refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    return this.#tokens.refresh(refreshToken, client);
  }

  /** Ends a session that `validateSession` has just vouched for, everywhere. */
  logOut(session: { id: string; userId: string }, client: ClientInfo): Promise<void> {
    return this.#credentials.endSession(session, 'logout', client);
  }

  /** Ends a token family everywhere, its access tokens included; false when it was not live. */
  revokeFamily(familyId: string, reason: 'revoked' | 'logout', client: ClientInfo): Promise<boolean> {
    return this.#tokens.revokeFamily(familyId, reason, client);
  }

  /** RFC 7009: a refresh or access token minted here has its family revoked; anything else is ignored. */
  async revokeToken(token: string, client: ClientInfo): Promise<void> {
    const familyId = this.#tokens.familyOfRefreshToken(token) ?? (await this.#accessTokenFamily(token));
    if (familyId) await this.#tokens.revokeFamily(familyId, 'revoked', client);
  }

  async #accessTokenFamily(token: string): Promise<string | null> {
    try {
      return (await this.#verifier.verify(token)).sid;
    } catch (error) {
      if (isAuthError(error, 'unavailable')) throw error;
      return null;
    }
  }

  /** Needs the current password and a recent authentication (with the second factor, when there is one). */
  async changePassword(userId: string, keep: string, auth: Authentication, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    await this.#factors.assertRecent(userId, auth);
    return this.#accounts.changePassword(userId, keep, currentPassword, newPassword, client);
  }

  listCredentials(userId: string): Promise<CredentialView[]> {
    return this.#credentials.list(userId);
  }

  /** Revokes one of the user's own credentials; false when it is not a live one of theirs. */
  revokeCredential(userId: string, id: string, client: ClientInfo): Promise<boolean> {
    return this.#credentials.revoke(userId, id, 'revoked_by_user', client);
  }

  /** "Log out everywhere else". */
  revokeOtherCredentials(userId: string, keep: string, client: ClientInfo): Promise<number> {
    return this.#credentials.revokeAllBut(userId, keep, 'logout_others', client);
  }

  /** An administrator's change of role or disabled flag. */
  updateUser(id: string, change: { role?: Role; disabled?: boolean }, actor: ClientInfo | null): Promise<User> {
    return this.#accounts.update(id, change, actor);
  }

  /** An administrator's revoke-all: every session, token family and access token of the user. */
  revokeEverything(userId: string, actor: ClientInfo | null): Promise<void> {
    return this.#accounts.revokeEverything(userId, actor);
  }

  /** `tessera keys rotate`: a new key signs from now on; the old one stays until its tokens expire. */
  async rotateKeys(actor: ClientInfo | null): Promise<StoredKey> {
    const key = await this.#keyring.rotate();
    await this.#auditor.record('key_rotated', null, actor, `new kid ${key.kid}`);
    return key;
  }

  // Queries.

  /**
   * Throws `unauthenticated`, `session_expired`, `session_revoked`, or `unavailable`. A value at once
   * when this instance's caches can tell (the hot path awaits nothing), a promise when a store must.
   */
  checkSession(cookie: string): ValidSession | Promise<ValidSession> {
    return this.#sessions.validate(cookie);
  }

  /** checkSession(), always as a promise. */
  async validateSession(cookie: string): Promise<ValidSession> {
    return this.#sessions.validate(cookie);
  }

  /** The session id of a well-formed cookie value, unchecked. */
  sessionIdOf(cookie: string): string | null {
    return this.#sessions.idOf(cookie);
  }

  /** A token verified before answers at once (checked against the deny view now); another may wait for its signature. */
  checkAccessToken(token: string): AccessClaims | Promise<AccessClaims> {
    return this.#verifier.check(token);
  }

  /** checkAccessToken(), always as a promise. */
  verifyAccessToken(token: string): Promise<AccessClaims> {
    return this.#verifier.verify(token);
  }

  /** The family a genuine refresh token belongs to, spent or not; null for anything else. */
  familyOfRefreshToken(token: string): string | null {
    return this.#tokens.familyOfRefreshToken(token);
  }

  /** The CSRF token bound to a credential (`session:ID` or `family:ID`). */
  csrfToken(binding: string): string {
    return csrfToken(this.#keyring, binding);
  }

  csrfMatches(binding: string, presented: string | undefined): boolean {
    return csrfMatches(this.#keyring, binding, presented);
  }

  findUser(id: string): Promise<User | null> {
    return this.#users.findById(id);
  }

  findUserByName(name: string): Promise<User | null> {
    return this.#users.findByName(name);
  }

  listUsers(limit: number, after?: string, filter?: { q?: string; role?: Role; disabled?: boolean }): Promise<User[]> {
    return this.#users.list(limit, after, filter);
  }

  /**
   * The administrator's view: at most `limit` audit entries before `before` (null: the newest), newest
   * first. Appends are serialised and each takes the next sequence number, so the `limit` numbers
   * below `before` hold them; a gap (none is made today) would only make a page shorter.
   */
  async auditPage(before: number | null, limit: number): Promise<StoredAuditEntry[]> {
    const entries = before === null ? await this.#stores.audit.tail(limit) : await this.#stores.audit.read(Math.max(0, before - limit - 1), limit);
    return entries.filter((entry) => before === null || entry.seq < before).reverse();
  }

  /** Re-reads the signing keys now (upkeep does every 30 s), to see a rotation made elsewhere. */
  reloadKeys(): Promise<void> {
    return this.#keyring.reload();
  }

  jwks(): ReturnType<Keyring['jwks']> {
    return this.#keyring.jwks();
  }

  describeKeys(): ReturnType<Keyring['describe']> {
    return this.#keyring.describe();
  }

  /** Ready when every store takes a write now, none failed just now, and the revocation feed is fresh. */
  async readiness(): Promise<Readiness> {
    const probed = await this.#stores.probe().then(
      () => true,
      () => false,
    );
    const failure = this.#health.recent();
    const fresh = this.#revocations.isFresh();
    const stores = probed && failure === null ? 'ok' : 'failing';
    return { ready: stores === 'ok' && fresh, stores, feed: fresh ? 'fresh' : 'stale', failure };
  }

  /** Throws 503 while the revocation feed is stale. */
  assertFeedFresh(): void {
    this.#revocations.assertFresh();
  }

  /** Milliseconds since the revocation feed last proved alive. */
  feedStaleness(): number {
    return this.#revocations.staleness();
  }

  /** Delivers a heartbeat of the feed at `at`: for tests that move a manual clock. */
  feedHeartbeat(at: number): void {
    this.#revocations.onHeartbeat(at);
  }

  liveSessionCount(): Promise<number> {
    return this.#stores.sessions.countLiveSessions(this.#clock.now());
  }

  /** Entries in this instance's deny view (revoked sids and user not-befores still in force). */
  get denyViewSize(): number {
    return this.#revocations.deny.size;
  }

  get cachedSessionCount(): number {
    return this.#sessions.cachedCount;
  }

  /** Lets metrics count security events as they are recorded. */
  onSecurityEvent(observer: (event: AuditEvent) => void): void {
    this.#auditor.observe(observer);
  }

  /**
   * Checks every link of the audit chain, then that it still holds what a checkpoint vouched for: the
   * one given (an exported copy, kept elsewhere), else the newest one kept in the database.
   */
  async verifyAudit(checkpoint?: CheckpointFile): Promise<ChainCheck & { checkpoint: CheckpointCheck | null }> {
    const chain = await verifyAuditChain(this.#stores.audit);
    const stored = checkpoint === undefined ? await this.#stores.audit.latestCheckpoint() : null;
    const file = checkpoint ?? (stored ? (JSON.parse(stored.file) as CheckpointFile) : null);
    if (!chain.ok || file === null) return { ...chain, checkpoint: null };
    return { ...chain, checkpoint: await verifyWithCheckpoint(this.#stores.audit, file, { jwk: file.jwk, hs256Secret: this.#options.signing.hs256Secret }) };
  }

  /**
   * Signs the audit chain's head (its sequence number and hash) with the signing key, keeps it, and
   * returns it to be exported: a copy kept elsewhere proves that nothing up to it was removed or
   * changed. Null for an empty log; the same head is signed once.
   */
  async checkpointAudit(): Promise<CheckpointFile | null> {
    const [head] = await this.#stores.audit.tail(1);
    if (!head) return null;
    const latest = await this.#stores.audit.latestCheckpoint();
    if (latest?.seq === head.seq) return JSON.parse(latest.file) as CheckpointFile;
    const now = this.#clock.now();
    const checkpoint = await this.#keyring.sign({ iss: this.#options.tokens.issuer, seq: head.seq, hash: head.hash, iat: toSeconds(now) }, CHECKPOINT_TYP);
    const kid = (JSON.parse(Buffer.from(checkpoint.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }).kid;
    const file: CheckpointFile = { checkpoint, jwk: this.#keyring.jwks().keys.find((key) => key.kid === kid) ?? null };
    await this.#stores.audit.saveCheckpoint(head.seq, now, JSON.stringify(file));
    return file;
  }

  auditTail(limit: number): Promise<StoredAuditEntry[]> {
    return this.#stores.audit.tail(limit);
  }

  /** The recent revocation events in log order, for `GET /v1/revocations`. */
  get revocationFeed(): FeedLog {
    return this.#feedLog;
  }

  /** One pass of the relay now (upkeep runs it every half second); for the CLI and tests. */
  relay(): Promise<void> {
    return this.#outbox.relay();
  }

  /** Deletes sessions and families that ended more than the retention period ago. */
  async purge(): Promise<void> {
    const before = this.#clock.now() - RECORD_RETENTION_MS;
    await this.#stores.sessions.purgeSessions(before);
    await this.#stores.families.purgeFamilies(before);
  }
}

export { MAX_POLL_MS };
