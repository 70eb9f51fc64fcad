import { Auditor } from './audit.js';
import { Credentials } from './credentials.js';
import type { Clock } from './clock.js';
import { DAY, SECOND } from './clock.js';
import type { PasswordPolicy } from './credentialPolicy.js';
import type { ClientInfo, Role, SigningAlg, StoredKey, User } from './model.js';
import { Keyring } from './keyring.js';
import type { PasswordHasher, Stores, Subscription } from './ports.js';
import { Revocations } from './revocations.js';
import { Revoker } from './revoker.js';
import { type SessionPolicy, Sessions } from './sessions.js';
import { Throttle } from './throttle.js';
import { type TokenPolicy, Tokens } from './tokens.js';
import { UserCache } from './userCache.js';
import { Users } from './users.js';
import { TokenVerifier } from '../verify/tokenVerifier.js';

/** Seconds of clock skew allowed when checking `exp`, `nbf` and `iat` (API.md: at most 30). */
export const LEEWAY_SECONDS = 5;

export interface CoreOptions {
  sessions: Omit<SessionPolicy, 'cacheTtlMs' | 'cacheMax'> & Partial<Pick<SessionPolicy, 'cacheTtlMs' | 'cacheMax'>>;
  tokens: TokenPolicy;
  passwords: PasswordPolicy;
  signing: { alg: SigningAlg; hs256Secret: string | null; keySecret: string | null };
  maxStalenessMs: number;
  tokenCache: boolean;
}

/** How often an instance re-reads the signing keys, to see a rotation made elsewhere. */
export const KEY_RELOAD_MS = 30 * SECOND;

/** Records and tombstones stay this long past their end, so that expired and revoked stay exact. */
export const RETENTION_MS = DAY;

/**
 * The assembled core: every service wired to one set of stores. Building it does no I/O except
 * loading the keys; `start()` follows the revocation feed and runs upkeep.
 */
export class Tessera {
  readonly users: Users;
  readonly sessions: Sessions;
  readonly tokens: Tokens;
  readonly credentials: Credentials;
  readonly keyring: Keyring;
  readonly revocations: Revocations;
  readonly verifier: TokenVerifier;
  readonly audit: Auditor;
  readonly stores: Stores;
  readonly clock: Clock;
  readonly options: CoreOptions;
  /** How long a revocation matters: the longest access token plus the leeway. */
  readonly revocationRetainMs: number;
  #subscription: Subscription | null = null;
  #timers: NodeJS.Timeout[] = [];

  private constructor(stores: Stores, keyring: Keyring, hasher: PasswordHasher, clock: Clock, options: CoreOptions) {
    this.stores = stores;
    this.keyring = keyring;
    this.clock = clock;
    this.options = options;
    const retainMs = options.tokens.accessTtlMs + LEEWAY_SECONDS * SECOND;
    this.revocationRetainMs = retainMs;
    this.revocations = new Revocations({ clock, maxStalenessMs: options.maxStalenessMs, retainMs });
    this.audit = new Auditor(stores.audit, clock);
    const revoker = new Revoker(stores.bus, this.audit, clock, retainMs);
    const userCache = new UserCache(stores.users, this.revocations, clock, { ttlMs: 30 * SECOND, max: 100_000 });
    this.users = new Users({
      store: stores.users,
      hasher,
      throttle: new Throttle(stores.limiter, clock),
      bus: stores.bus,
      audit: this.audit,
      clock,
      policy: options.passwords,
    });
    this.sessions = new Sessions({
      store: stores.sessions,
      users: userCache,
      revocations: this.revocations,
      revoker,
      keyring,
      clock,
      policy: { cacheTtlMs: 30 * SECOND, cacheMax: 100_000, ...options.sessions },
    });
    this.tokens = new Tokens({
      families: stores.families,
      users: stores.users,
      keyring,
      revocations: this.revocations,
      revoker,
      audit: this.audit,
      clock,
      policy: options.tokens,
    });
    this.credentials = new Credentials(this.sessions, this.tokens, this.users, this.audit);
    let lastReload = 0;
    this.verifier = new TokenVerifier({
      issuer: options.tokens.issuer,
      audience: options.tokens.audience,
      leeway: LEEWAY_SECONDS,
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
      revocations: this.revocations,
      clock,
      cache: options.tokenCache,
    });
  }

  static async create(stores: Stores, hasher: PasswordHasher, clock: Clock, options: CoreOptions): Promise<Tessera> {
    const keyring = await Keyring.open(stores.keys, {
      ...options.signing,
      // Another instance may sign with a retired key until its next reload: keep the key that much longer.
      retainMs: options.tokens.accessTtlMs + LEEWAY_SECONDS * SECOND + KEY_RELOAD_MS,
      clock,
    });
    return new Tessera(stores, keyring, hasher, clock, options);
  }

  /**
   * Follows the revocation feed, replaying what may still refuse a token in flight, and resolves once
   * the replay is in (the first heartbeat) or a timeout passes. Starts upkeep: purging ended records, re-reading keys.
   */
  async start(options: { upkeep?: boolean; replayTimeoutMs?: number } = {}): Promise<void> {
    const replayFrom = this.clock.now() - this.options.tokens.accessTtlMs - LEEWAY_SECONDS * SECOND;
    await new Promise<void>((resolve) => {
      // A feed that is down at start-up leaves the instance serving 503s (fail closed) until it is back.
      setTimeout(resolve, options.replayTimeoutMs ?? 5 * SECOND).unref();
      const revocations = this.revocations;
      this.#subscription = this.stores.bus.subscribe(
        {
          onEvent: (message) => revocations.onEvent(message),
          onHeartbeat: (at) => {
            revocations.onHeartbeat(at);
            resolve();
          },
        },
        { sinceTime: replayFrom },
      );
    });
    if (options.upkeep !== false) {
      this.#every(60 * SECOND, () => this.purge());
      this.#every(KEY_RELOAD_MS, () => this.keyring.reload());
    }
  }

  #every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => void task().catch(() => undefined), ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /**
   * An administrator's change of role or disabled flag (HTTP and CLI alike). A disable also ends
   * every session and token family, so that enabling the account later revives none of them.
   */
  async updateUser(id: string, change: { role?: Role; disabled?: boolean }, actor: ClientInfo | null): Promise<User> {
    const user = await this.users.update(id, change, actor);
    if (change.disabled === true) await this.credentials.revokeAll(id, null, 'disabled', actor);
    return user;
  }

  /** `tessera keys rotate`: a new key signs from now on; the old one stays until its tokens expire. */
  async rotateKeys(actor: ClientInfo | null): Promise<StoredKey> {
    const key = await this.keyring.rotate();
    await this.audit.record('key_rotated', null, actor, `new kid ${key.kid}`);
    return key;
  }

  /** Deletes sessions and families that ended more than the retention period ago. */
  async purge(): Promise<void> {
    const before = this.clock.now() - RETENTION_MS;
    await this.stores.sessions.purgeSessions(before);
    await this.stores.families.purgeFamilies(before);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#subscription?.close();
    this.#subscription = null;
    await this.stores.close();
  }
}
