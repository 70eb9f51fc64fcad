import type { Clock } from './clock.js';
import { DenyView } from './denyView.js';
import { AuthError } from './errors.js';
import type { FeedMessage, RevocationEvent } from './model.js';
import type { FeedListener } from './ports.js';

export interface RevocationsOptions {
  clock: Clock;
  /** TESSERA_REVOCATION_MAX_STALENESS, in ms. */
  maxStalenessMs: number;
  /** How long a deny entry lives: the longest access token plus the leeway. */
  retainMs: number;
}

/**
 * What one verifier knows from the revocation feed: the deny view, how fresh the feed is, and who
 * else wants each event (the session cache). It fails closed: while the feed has been silent longer
 * than the staleness bound, every credential check answers 503 (API.md, "Revocation").
 */
export class Revocations implements FeedListener {
  readonly deny: DenyView;
  readonly #clock: Clock;
  readonly #maxStalenessMs: number;
  readonly #listeners: Array<(event: RevocationEvent) => void> = [];
  #lastBeat = Number.NEGATIVE_INFINITY;
  #lastPrune = 0;

  constructor(options: RevocationsOptions) {
    this.deny = new DenyView(options.retainMs);
    this.#clock = options.clock;
    this.#maxStalenessMs = options.maxStalenessMs;
  }

  /** Registers a consumer of every event, such as a cache that must evict. Events may come twice. */
  listen(listener: (event: RevocationEvent) => void): void {
    this.#listeners.push(listener);
  }

  onEvent(message: FeedMessage): void {
    this.deny.apply(message.event);
    for (const listener of this.#listeners) listener(message.event);
  }

  /**
   * Keeps a logged event's entry as if it had just happened: the relay pins every event whose delivery
   * is still owed, so that a session whose tombstone could not be written yet stays denied however
   * long its store is away (its entry would otherwise expire with the tokens in flight).
   */
  pin(message: FeedMessage, now: number): void {
    this.deny.apply({ ...message.event, at: Math.max(now, message.event.at) });
  }

  onHeartbeat(at: number): void {
    this.#lastBeat = Math.max(this.#lastBeat, at);
    if (at - this.#lastPrune > 10_000) {
      this.#lastPrune = at;
      this.deny.prune(at);
    }
  }

  /** Milliseconds since the feed last proved alive. */
  staleness(): number {
    return this.#clock.now() - this.#lastBeat;
  }

  isFresh(): boolean {
    return this.staleness() <= this.#maxStalenessMs;
  }

  /** Throws 503 when the feed is stale: a verifier that may have missed a revocation grants nothing. */
  assertFresh(): void {
    if (!this.isFresh()) {
      throw new AuthError('unavailable', { detail: 'the revocation feed is stale', retryAfter: 1 });
    }
  }
}
