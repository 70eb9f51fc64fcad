import type { Clock } from './clock.js';
import type { FeedMessage } from './model.js';
import type { EventBus, FeedListener, RevocationLog, Subscription } from './ports.js';

/** API.md, "Running": the log is polled at least every 250 ms. */
export const MAX_POLL_MS = 250;
const PAGE = 500;

export interface FollowerOptions {
  log: RevocationLog;
  /** The push transport, when there is one: it only makes delivery faster; the log decides. */
  bus: EventBus | null;
  listener: FeedListener;
  clock: Clock;
  /** Replay the events stamped at or after this time before following. */
  sinceTime: number;
  pollMs: number;
  /** Every event in log order, once, after the listener has it (the HTTP feed keeps these). */
  onOrdered?: (message: FeedMessage) => void;
}

/**
 * Follows the revocation log, the durable source: replays what may still refuse a token in flight,
 * then polls for ids above the last one seen. A successful poll is a heartbeat; a failed one sends
 * none, so the consumer goes stale and fails closed. With a push transport the same events usually
 * arrive earlier through it, and its heartbeats count as well; duplicates are harmless.
 */
export class LogFollower {
  readonly #o: FollowerOptions;
  #last: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #closed = false;
  #push: Subscription | null = null;

  constructor(options: FollowerOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#o.bus) this.#push = this.#o.bus.subscribe(this.#o.listener, { sinceTime: this.#o.sinceTime });
    this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    await this.#push?.close();
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#running = this.#poll().finally(() => {
        this.#running = null;
        if (!this.#closed) this.#schedule(Math.min(this.#o.pollMs, MAX_POLL_MS));
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      if (this.#last === null) this.#last = await this.#replay();
      await this.#catchUp();
    } catch {
      return; // No heartbeat this time; the next poll resumes after the last event delivered.
    }
    if (!this.#closed) this.#o.listener.onHeartbeat(this.#o.clock.now());
  }

  /** Delivers the replay; returns the id to follow from. */
  async #replay(): Promise<number> {
    const head = await this.#o.log.head();
    for (const message of await this.#o.log.since(this.#o.sinceTime, head)) this.#deliver(message);
    return head;
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const page = await this.#o.log.after(this.#last ?? 0, PAGE);
      for (const message of page) {
        this.#deliver(message);
        this.#last = message.id;
      }
      if (page.length < PAGE || this.#closed) return;
    }
  }

  #deliver(message: FeedMessage): void {
    if (this.#closed) return;
    this.#o.listener.onEvent(message);
    this.#o.onOrdered?.(message);
  }
}
