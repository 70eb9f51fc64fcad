import type { FeedMessage } from './model.js';

/**
 * The recent revocation events, in log order, for `GET /v1/revocations`: services that cannot reach
 * Redis follow the feed through any instance. Only the log follower appends, in id order, so "after
 * id N" is exact. Entries older than `retainMs` are dropped, since no token they could refuse is
 * still in flight.
 */
export class FeedLog {
  readonly #retainMs: number;
  readonly #messages: FeedMessage[] = [];
  #waiters: Array<() => void> = [];

  constructor(retainMs: number) {
    this.#retainMs = retainMs;
  }

  append(message: FeedMessage): void {
    if (message.id <= (this.#messages.at(-1)?.id ?? 0)) return;
    const oldest = message.event.at - this.#retainMs;
    while (this.#messages[0] !== undefined && this.#messages[0].event.at < oldest) this.#messages.shift();
    this.#messages.push(message);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Messages with an id above `after`; every retained one when `after` is null. */
  since(after: number | null): FeedMessage[] {
    if (after === null) return [...this.#messages];
    let low = 0;
    for (let high = this.#messages.length; low < high; ) {
      const mid = (low + high) >> 1;
      if ((this.#messages[mid]?.id ?? 0) <= after) low = mid + 1;
      else high = mid;
    }
    return this.#messages.slice(low);
  }

  /** Resolves at the next message, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
