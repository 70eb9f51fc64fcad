import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import type { RevocationEvent } from '../../core/model.js';
import type { FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import { compareIds, eventFromFields, readAfter } from './feedEntries.js';

/** How long one XREAD waits for news: a little under a second, so that heartbeats come at least once a second. */
export const BLOCK_MS = 900;
/** Entries per read; a full page means more are waiting (a replay), so no heartbeat until the rest are in. */
const PAGE = 500;
const MAX_BACKOFF_MS = 1000;

type Entry = [id: string, fields: string[]];

export interface StreamSubscriptionOptions {
  /** A connection of its own, for blocking reads; the subscription ends it on close. */
  connection: Redis;
  stream: string;
  listener: FeedListener;
  start: FeedStart;
  clock: Clock;
  onClose: () => void;
}

/**
 * Follows the revocation stream: replays from the start, then loops a blocking XREAD after the last id
 * delivered. Every read that returns once the replay is in, with entries or without, is a heartbeat.
 * A failed read sends none, so the consumer goes stale and fails closed; the loop retries with a short
 * backoff and resumes after the last id it delivered, so no event is lost or skipped.
 */
export class StreamSubscription implements Subscription {
  readonly #o: StreamSubscriptionOptions;
  #lastId: string;
  /** Events stamped before this are left out of the replay. */
  readonly #sinceTime: number | null;
  /** True until a read returns less than a full page: the replay is in, and reads start to block. */
  #replaying = true;
  /** Events this process published and delivered already, skipped when the read reaches them. */
  readonly #local = new Set<string>();
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #loop: Promise<void>;

  constructor(options: StreamSubscriptionOptions) {
    this.#o = options;
    this.#lastId = readAfter(options.start);
    this.#sinceTime = 'sinceTime' in options.start ? options.start.sinceTime : null;
    this.#loop = this.#run();
  }

  /** Delivers an event this process has just stored, before its publish resolves. */
  deliverLocal(id: string, event: RevocationEvent): void {
    // During the replay the read delivers it in order soon enough; before the last id it is delivered already.
    if (this.#closed || this.#replaying || compareIds(id, this.#lastId) <= 0 || this.#local.has(id)) return;
    try {
      this.#o.listener.onEvent({ cursor: id, event: { ...event } });
      this.#local.add(id);
    } catch {
      // The listener failed: the read delivers the event again.
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    // Ends the blocking read at once rather than after its block time.
    this.#o.connection.disconnect();
    await this.#loop;
    this.#o.onClose();
  }

  async #run(): Promise<void> {
    for (let failures = 0; !this.#closed; ) {
      try {
        const entries = await this.#read();
        if (this.#closed) return;
        this.#deliver(entries);
        if (entries.length < PAGE) this.#replaying = false;
        if (!this.#replaying) this.#o.listener.onHeartbeat(this.#o.clock.now());
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        // A read that timed out may sit on a dead socket that no close event will ever report: reconnect.
        if (error instanceof Error && error.message === 'Command timed out') this.#o.connection.disconnect(true);
        await this.#pause(Math.min(50 * 2 ** ++failures, MAX_BACKOFF_MS));
      }
    }
  }

  async #read(): Promise<Entry[]> {
    const { connection, stream } = this.#o;
    if (connection.status === 'wait') await connection.connect();
    // The replay reads without blocking, so that its end (the first heartbeat) comes at once.
    const reply = this.#replaying
      ? await connection.xread('COUNT', PAGE, 'STREAMS', stream, this.#lastId)
      : await connection.xread('COUNT', PAGE, 'BLOCK', BLOCK_MS, 'STREAMS', stream, this.#lastId);
    return reply?.[0]?.[1] ?? [];
  }

  #deliver(entries: readonly Entry[]): void {
    for (const [id, fields] of entries) {
      if (this.#closed) return;
      if (compareIds(id, this.#lastId) <= 0) continue;
      const event = eventFromFields(fields);
      const replayedTooOld = event !== null && this.#replaying && this.#sinceTime !== null && event.at < this.#sinceTime;
      // Advanced only after the listener took the event: if it throws, the next read retries it.
      if (event !== null && !replayedTooOld && !this.#local.has(id)) this.#o.listener.onEvent({ cursor: id, event });
      this.#local.delete(id);
      this.#lastId = id;
    }
    // Ids delivered locally that the read has passed were trimmed before it got there: forget them.
    for (const id of this.#local) if (compareIds(id, this.#lastId) <= 0) this.#local.delete(id);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
