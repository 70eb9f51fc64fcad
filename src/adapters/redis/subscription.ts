import type { RedisClient } from './connection.js';
import type { Clock } from '../../core/clock.js';
import type { FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import { compareIds, messageFromFields, readAfter } from './feedEntries.js';
import type { RedisKeys } from './keys.js';

/** How long one XREAD waits for news: a little under a second, so that heartbeats come at least once a second. */
export const BLOCK_MS = 900;
/** Entries per read; a full page means more are waiting (a replay), so no heartbeat until the rest are in. */
const PAGE = 500;
const MAX_BACKOFF_MS = 1000;

type Entry = [id: string, fields: string[]];

export interface StreamSubscriptionOptions {
  /** A connection of its own, for blocking reads; the subscription ends it on close. */
  connection: RedisClient;
  keys: RedisKeys;
  listener: FeedListener;
  start: FeedStart;
  clock: Clock;
  onClose: () => void;
}

/**
 * Follows the revocation stream: replays from the start, then loops a blocking XREAD after the last id
 * delivered. A read that returns once the replay is in is a heartbeat, but only while the stream is
 * intact (its marker is set): after a flush or a restart of Redis the stream may lack events that the
 * log holds, until the relay has published them again. A failed read sends none either, so the
 * consumer goes stale and fails closed; the loop retries with a short backoff and resumes after the
 * last id it delivered, so no event is lost or skipped.
 */
export class StreamSubscription implements Subscription {
  readonly #o: StreamSubscriptionOptions;
  #lastId: string;
  /** Events stamped before this are left out of the replay. */
  readonly #sinceTime: number;
  /** True until a read returns less than a full page: the replay is in, and reads start to block. */
  #replaying = true;
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #loop: Promise<void>;

  constructor(options: StreamSubscriptionOptions) {
    this.#o = options;
    this.#lastId = readAfter(options.start);
    this.#sinceTime = options.start.sinceTime;
    this.#loop = this.#run();
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
        if (this.#o.connection.status === 'wait') await this.#o.connection.connect();
        const intact = (await this.#o.connection.get(this.#o.keys.feedIntact)) !== null;
        const entries = await this.#read();
        if (this.#closed) return;
        this.#deliver(entries);
        if (entries.length < PAGE) this.#replaying = false;
        if (!this.#replaying && intact) this.#o.listener.onHeartbeat(this.#o.clock.now());
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
    const { connection, keys } = this.#o;
    // The replay reads without blocking, so that its end (the first heartbeat) comes at once.
    const reply = this.#replaying
      ? await connection.xread('COUNT', PAGE, 'STREAMS', keys.feed, this.#lastId)
      : await connection.xread('COUNT', PAGE, 'BLOCK', BLOCK_MS, 'STREAMS', keys.feed, this.#lastId);
    return reply?.[0]?.[1] ?? [];
  }

  #deliver(entries: readonly Entry[]): void {
    for (const [id, fields] of entries) {
      if (this.#closed) return;
      if (compareIds(id, this.#lastId) <= 0) continue;
      const message = messageFromFields(fields);
      const tooOld = message !== null && this.#replaying && message.event.at < this.#sinceTime;
      // Advanced only after the listener took the event: if it throws, the next read retries it.
      if (message !== null && !tooOld) this.#o.listener.onEvent(message);
      this.#lastId = id;
    }
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
