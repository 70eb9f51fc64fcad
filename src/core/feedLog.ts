import type { FeedMessage } from './model.js';
import type { Revocations } from './revocations.js';

/**
 * The recent revocation events this instance has seen, for `GET /v1/revocations`: services that cannot
 * reach Redis follow the feed through any instance. Entries older than `retainMs` are dropped, since
 * no token they could refuse is still in flight.
 */
export class FeedLog {
  readonly #retainMs: number;
  readonly #messages: FeedMessage[] = [];
  /** The feed delivers a process's own events twice (publish, then the poll): keep one. */
  readonly #cursors = new Set<string>();
  #waiters: Array<() => void> = [];

  constructor(revocations: Revocations, retainMs: number) {
    this.#retainMs = retainMs;
    revocations.listen((event, cursor) => this.#append({ cursor, event }));
  }

  #append(message: FeedMessage): void {
    if (this.#cursors.has(message.cursor)) return;
    const oldest = message.event.at - this.#retainMs;
    while (this.#messages[0] !== undefined && this.#messages[0].event.at < oldest) {
      this.#cursors.delete(this.#messages[0].cursor);
      this.#messages.shift();
    }
    this.#messages.push(message);
    this.#cursors.add(message.cursor);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Messages after `cursor`; all retained ones when the cursor is null or no longer known (a replay is harmless). */
  since(cursor: string | null): FeedMessage[] {
    if (cursor === null) return [...this.#messages];
    const index = this.#messages.findIndex((m) => m.cursor === cursor);
    return index < 0 ? [...this.#messages] : this.#messages.slice(index + 1);
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
