import type { Clock } from './clock.js';
import { HOUR, MINUTE, SECOND } from './clock.js';
import { AuthError } from './errors.js';
import { LruCache } from './lru.js';
import type { LimitState, Limiter } from './ports.js';

/** API.md, "Cookie sessions" 429 rules; NIST SP 800-63B rev. 4 §3.2.2 (rate limiting, no permanent lockout). */
export const THROTTLE = {
  /** Failures before the per-account back-off starts. */
  freeFailures: 5,
  maxBackoffMs: 15 * MINUTE,
  /** At most this many failures are processed per account and hour. */
  hourlyFailures: 100,
  accountWindowMs: HOUR,
  ipLoginFailures: 50,
  ipLoginWindowMs: 15 * MINUTE,
  ipRegistrations: 30,
  ipRegistrationWindowMs: HOUR,
} as const;

const rateLimited = (untilMs: number, now: number): AuthError =>
  new AuthError('rate_limited', {
    detail: 'too many attempts; try again later',
    retryAfter: Math.max(1, Math.ceil((untilMs - now) / SECOND)),
  });

/** When an account with this failure record may try again; 0 when it may now. */
export function accountBlockedUntil(state: LimitState | null): number {
  if (!state) return 0;
  if (state.count >= THROTTLE.hourlyFailures) return state.windowStart + THROTTLE.accountWindowMs;
  if (state.count < THROTTLE.freeFailures) return 0;
  const backoff = Math.min(2 ** (state.count - THROTTLE.freeFailures) * SECOND, THROTTLE.maxBackoffMs);
  return state.lastAt + backoff;
}

/** Attempts allowed to wait for one account on one instance; past that the instance sheds them (503). */
export const MAX_WAITING_PER_ACCOUNT = 32;

/** An attempt's turn on its account: checked, and holding the account's queue until `release`. */
export interface LoginTurn {
  readonly accountKey: string;
  /** Lets the next attempt on this account be checked: call it once this attempt's outcome is recorded. */
  release(): void;
  /** Whether the account had failures counted when this attempt was checked, which a success clears. */
  readonly failuresCounted: boolean;
}

const overloaded = (): AuthError => new AuthError('unavailable', { detail: 'the server is overloaded', retryAfter: 1 });

/**
 * Login and registration throttling. Account failures are keyed by the normalised name, whether or
 * not the user exists, across client addresses and both login endpoints.
 */
export class Throttle {
  readonly #limiter: Limiter;
  readonly #clock: Clock;
  /** Per account on this instance: the end of the last attempt queued, and how many wait for it. */
  readonly #queues = new Map<string, { tail: Promise<void>; waiting: number }>();
  /**
   * Accounts the store showed blocked, until when: refused again without a store read until then. A
   * block only ends with time (no attempt is checked meanwhile, so none can reset it, and failures on
   * other instances only lengthen it), so the memo never admits what the store would refuse.
   */
  readonly #blocked = new LruCache<string, number>(10_000);

  constructor(limiter: Limiter, clock: Clock) {
    this.#limiter = limiter;
    this.#clock = clock;
  }

  /**
   * Waits for the attempts on this account that came first to record their outcome, then throws
   * `rate_limited` when the account or the address may not try now. Otherwise returns the turn, whose
   * release the caller must call once this attempt's outcome is recorded. Parallel attempts are thus
   * serialised rather than refused: correct logins from several tabs all succeed, while parallel
   * guesses cannot outrun the back-off, since each is checked after the previous one's failure
   * counts (NIST SP 800-63B-4 §3.2.2).
   */
  async checkLogin(accountKey: string, ip: string): Promise<LoginTurn> {
    const release = await this.#enqueue(accountKey);
    try {
      return { accountKey, release, failuresCounted: await this.#check(accountKey, ip) };
    } catch (error) {
      release();
      throw error;
    }
  }

  async #enqueue(accountKey: string): Promise<() => void> {
    const queue = this.#queues.get(accountKey) ?? { tail: Promise.resolve(), waiting: 0 };
    if (queue.waiting >= MAX_WAITING_PER_ACCOUNT) throw overloaded();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const before = queue.tail;
    queue.tail = before.then(() => done);
    queue.waiting++;
    this.#queues.set(accountKey, queue);
    await before;
    return () => {
      release();
      if (--queue.waiting === 0 && this.#queues.get(accountKey) === queue) this.#queues.delete(accountKey);
    };
  }

  /** Throws when the account or the address is blocked; otherwise whether the account has failures counted. */
  async #check(accountKey: string, ip: string): Promise<boolean> {
    const now = this.#clock.now();
    const blockedUntil = this.#blocked.get(accountKey, now);
    if (blockedUntil !== undefined) throw rateLimited(blockedUntil, now);
    const [account, address] = await Promise.all([
      this.#limiter.peek(`login:account:${accountKey}`, now),
      this.#limiter.peek(`login:ip:${ip}`, now),
    ]);
    const accountUntil = accountBlockedUntil(account);
    if (accountUntil > now) {
      this.#blocked.set(accountKey, accountUntil, accountUntil);
      throw rateLimited(accountUntil, now);
    }
    if (address && address.count >= THROTTLE.ipLoginFailures) {
      throw rateLimited(address.windowStart + THROTTLE.ipLoginWindowMs, now);
    }
    return account !== null;
  }

  async recordLoginFailure(accountKey: string, ip: string): Promise<void> {
    const now = this.#clock.now();
    await Promise.all([
      this.#limiter.hit(`login:account:${accountKey}`, THROTTLE.accountWindowMs, now),
      this.#limiter.hit(`login:ip:${ip}`, THROTTLE.ipLoginWindowMs, now),
    ]);
  }

  /**
   * Clears the account's failures after a success, with no store write when its check saw none: a
   * failure counted since by another instance then stands, which only errs on the strict side.
   */
  async recordLoginSuccess(turn: LoginTurn): Promise<void> {
    if (turn.failuresCounted) await this.#limiter.reset(`login:account:${turn.accountKey}`);
  }

  /** Counts a registration attempt from `ip`; throws `rate_limited` past the hourly allowance. */
  async hitRegistration(ip: string): Promise<void> {
    const now = this.#clock.now();
    const state = await this.#limiter.hit(`register:ip:${ip}`, THROTTLE.ipRegistrationWindowMs, now);
    if (state.count > THROTTLE.ipRegistrations) {
      throw rateLimited(state.windowStart + THROTTLE.ipRegistrationWindowMs, now);
    }
  }
}
