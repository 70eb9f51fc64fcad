import type { Clock } from '../../core/clock.js';
import { DAY, HOUR } from '../../core/clock.js';
import type { RevocationEvent } from '../../core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import type { SqlContext } from './dialect.js';
import { SqlFeed } from './feed.js';
import { PollingSubscription } from './subscription.js';

export interface SqlEventBusOptions {
  clock: Clock;
  /** Default 200; capped at 250 (API.md, "Running": the log is polled at least every 250 ms). */
  pollIntervalMs?: number;
}

const DEFAULT_POLL_MS = 200;
const MAX_POLL_MS = 250;

/** The revocation feed without Redis: a table that every instance (and the CLI) writes and polls. */
export class SqlEventBus implements EventBus {
  readonly #feed: SqlFeed;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #subscriptions = new Set<PollingSubscription>();
  #lastTrim = Number.NEGATIVE_INFINITY;

  constructor(ctx: SqlContext, options: SqlEventBusOptions) {
    this.#feed = new SqlFeed(ctx);
    this.#clock = options.clock;
    this.#intervalMs = Math.max(1, Math.min(options.pollIntervalMs ?? DEFAULT_POLL_MS, MAX_POLL_MS));
  }

  async publish(event: RevocationEvent): Promise<void> {
    const seq = await this.#feed.insert(event);
    for (const subscription of this.#subscriptions) subscription.deliverLocal(seq, event);
  }

  subscribe(listener: FeedListener, start: FeedStart): Subscription {
    const subscription: PollingSubscription = new PollingSubscription({
      feed: this.#feed,
      listener,
      start,
      clock: this.#clock,
      intervalMs: this.#intervalMs,
      afterPoll: () => this.#trim(),
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    for (const subscription of [...this.#subscriptions]) await subscription.close();
  }

  /** Events older than a day can no longer refuse a token in flight: delete them, hourly. */
  async #trim(): Promise<void> {
    const now = this.#clock.now();
    if (now - this.#lastTrim < HOUR) return;
    this.#lastTrim = now;
    await this.#feed.trim(now - DAY).catch(() => undefined);
  }
}
