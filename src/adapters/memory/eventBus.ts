import type { Clock } from '../../core/clock.js';
import { DAY } from '../../core/clock.js';
import type { FeedMessage, RevocationEvent } from '../../core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../../core/ports.js';

const HEARTBEAT_MS = 500;

interface Stored {
  seq: number;
  event: RevocationEvent;
}

const message = ({ seq, event }: Stored): FeedMessage => ({ cursor: String(seq), event: { ...event } });

/** The shared log behind every MemoryEventBus of one simulated deployment. */
export class MemoryFeed {
  readonly #events: Stored[] = [];
  readonly #buses = new Set<MemoryEventBus>();
  #seq = 0;

  append(event: RevocationEvent): Stored {
    const stored = { seq: ++this.#seq, event: { ...event } };
    this.#events.push(stored);
    while ((this.#events[0]?.event.at ?? Infinity) < event.at - DAY) this.#events.shift();
    return stored;
  }

  since(start: FeedStart): Stored[] {
    if ('cursor' in start) return this.#events.filter((e) => e.seq > Number(start.cursor));
    return this.#events.filter((e) => e.event.at >= start.sinceTime);
  }

  attach(bus: MemoryEventBus): void {
    this.#buses.add(bus);
  }

  detach(bus: MemoryEventBus): void {
    this.#buses.delete(bus);
  }

  get buses(): Iterable<MemoryEventBus> {
    return this.#buses;
  }
}

/**
 * In-process revocation feed for tests: delivery is synchronous to every bus on the same MemoryFeed,
 * and heartbeats come on subscribe, every 500 ms, and whenever a test calls `beat()`.
 */
export class MemoryEventBus implements EventBus {
  readonly #clock: Clock;
  readonly #feed: MemoryFeed;
  readonly #listeners = new Set<FeedListener>();
  #timer: NodeJS.Timeout | null = null;

  constructor(clock: Clock, feed: MemoryFeed = new MemoryFeed()) {
    this.#clock = clock;
    this.#feed = feed;
    feed.attach(this);
  }

  /** Another bus on the same feed, as a second instance or the CLI would have. */
  peer(): MemoryEventBus {
    return new MemoryEventBus(this.#clock, this.#feed);
  }

  async publish(event: RevocationEvent): Promise<void> {
    const stored = this.#feed.append(event);
    for (const bus of this.#feed.buses) bus.#deliver(stored);
  }

  subscribe(listener: FeedListener, start: FeedStart): Subscription {
    for (const stored of this.#feed.since(start)) listener.onEvent(message(stored));
    this.#listeners.add(listener);
    listener.onHeartbeat(this.#clock.now());
    this.#timer ??= setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    return {
      close: async () => {
        this.#listeners.delete(listener);
        if (this.#listeners.size === 0) this.#stopTimer();
      },
    };
  }

  /** Sends a heartbeat at the clock's current time, e.g. after a test moved a ManualClock. */
  beat(): void {
    const at = this.#clock.now();
    for (const listener of this.#listeners) listener.onHeartbeat(at);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#stopTimer();
    this.#feed.detach(this);
  }

  #deliver(stored: Stored): void {
    for (const listener of this.#listeners) listener.onEvent(message(stored));
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
