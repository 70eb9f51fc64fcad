import type { Clock } from '../../core/clock.js';
import type { RevocationEvent } from '../../core/model.js';
import type { FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import type { Positioned, SqlFeed } from './feed.js';

export interface PollingOptions {
  feed: SqlFeed;
  listener: FeedListener;
  start: FeedStart;
  clock: Clock;
  intervalMs: number;
  /** Runs after each successful poll; must not reject. */
  afterPoll: () => Promise<void>;
  onClose: () => void;
}

/** A cursor from another feed, or garbage, replays everything retained: duplicates are harmless, gaps are not. */
const parseCursor = (cursor: string): number => (/^\d{1,15}$/.test(cursor) ? Number(cursor) : 0);

/**
 * Follows the SQL revocation log: replays from the start, then polls for `seq > last`. A successful
 * poll is the feed's heartbeat; a failed one sends none, so the consumer goes stale and fails closed.
 */
export class PollingSubscription implements Subscription {
  readonly #o: PollingOptions;
  /** Position of the last event passed; null until the replay has run. */
  #last: number | null = null;
  /** Events this process published and delivered already, skipped when the poll reaches them. */
  readonly #local = new Set<number>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(options: PollingOptions) {
    this.#o = options;
    this.#schedule(0);
  }

  /** Delivers an event that this process has just stored, before its publish resolves. */
  deliverLocal(seq: number, event: RevocationEvent): void {
    if (this.#closed || (this.#last !== null && seq <= this.#last) || this.#local.has(seq)) return;
    try {
      this.#o.listener.onEvent({ cursor: String(seq), event });
      this.#local.add(seq);
    } catch {
      // The listener failed: the next poll delivers the event again.
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    this.#o.onClose();
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#running = this.#poll().finally(() => {
        this.#running = null;
        if (!this.#closed) this.#schedule(this.#o.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      if (this.#last === null) this.#last = await this.#replay();
      await this.#catchUp(this.#last);
    } catch {
      return; // No heartbeat this time; the next poll retries from the last event delivered.
    }
    if (this.#closed) return;
    this.#o.listener.onHeartbeat(this.#o.clock.now());
    await this.#o.afterPoll();
  }

  /** Delivers the replay; returns the position to follow from. */
  async #replay(): Promise<number> {
    const { start, feed } = this.#o;
    if ('cursor' in start) return parseCursor(start.cursor);
    const head = await feed.head();
    for (const event of await feed.since(start.sinceTime, head)) this.#deliver(event);
    return head;
  }

  async #catchUp(from: number): Promise<void> {
    for (let after = from; !this.#closed; ) {
      const page = await this.#o.feed.after(after);
      for (const event of page) this.#deliver(event);
      this.#last = after = page.at(-1)?.seq ?? after;
      if (page.length < this.#o.feed.pageSize) return;
    }
  }

  #deliver({ seq, message }: Positioned): void {
    if (this.#closed) return;
    if (!this.#local.delete(seq)) this.#o.listener.onEvent(message);
    if (this.#last !== null) this.#last = Math.max(this.#last, seq);
  }
}
