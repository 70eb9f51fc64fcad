import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import type { RevocationEvent } from '../../core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import { guard } from './connection.js';
import { eventFields } from './feedEntries.js';
import type { RedisKeys } from './keys.js';
import { LuaScript } from './script.js';
import { BLOCK_MS, StreamSubscription } from './subscription.js';

/**
 * KEYS: the stream. ARGV: the oldest id to keep, the event's time (ms), then the entry's fields.
 * Ids follow the events' own times, so that a replay "from a time" is a range of ids whatever Redis's
 * clock says. When the time is behind the stream's last id (clock skew between instances), '*' takes
 * the next id instead: ids only grow, and an id is never earlier than its event's time.
 */
const APPEND = new LuaScript(`
local id = redis.pcall('XADD', KEYS[1], 'MINID', '~', ARGV[1], ARGV[2] .. '-*', unpack(ARGV, 3))
if type(id) == 'table' and id.err then
  id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', unpack(ARGV, 3))
end
return id
`);

/** Margin on a blocking read's own time before the client gives up on the connection. */
const READ_GRACE_MS = 2000;

export interface RedisEventBusOptions {
  clock: Clock;
  keys: RedisKeys;
  /** How long events stay in the stream: at least the longest access token in flight plus the leeway. */
  retainMs: number;
  onError: (error: Error) => void;
}

/**
 * The revocation feed on a Redis Stream: the durable log that late joiners replay, trimmed to
 * `retainMs` on every append, followed by blocking reads on a connection per subscription.
 */
export class RedisEventBus implements EventBus {
  readonly #redis: Redis;
  readonly #o: RedisEventBusOptions;
  readonly #subscriptions = new Set<StreamSubscription>();

  constructor(redis: Redis, options: RedisEventBusOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  async publish(event: RevocationEvent): Promise<void> {
    const keep = Math.max(0, Math.floor(this.#o.clock.now() - this.#o.retainMs));
    const args = [keep, Math.max(0, Math.floor(event.at)), ...eventFields(event)];
    // Rejects when the append fails: a revocation is never accepted and then lost.
    const id = await guard(async () => {
      const reply = await APPEND.run(this.#redis, [this.#o.keys.feed], args);
      if (typeof reply !== 'string') throw new Error('unexpected reply from Redis');
      return reply;
    });
    for (const subscription of this.#subscriptions) subscription.deliverLocal(id, event);
  }

  subscribe(listener: FeedListener, start: FeedStart): Subscription {
    // Blocking reads get a connection of their own, so that they never hold up request-path commands.
    const connection = this.#redis.duplicate({ connectionName: 'tessera-feed', commandTimeout: BLOCK_MS + READ_GRACE_MS });
    connection.on('error', this.#o.onError);
    const subscription: StreamSubscription = new StreamSubscription({
      connection,
      stream: this.#o.keys.feed,
      listener,
      start,
      clock: this.#o.clock,
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Closes every subscription of this bus; the shared connection belongs to the caller. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
  }
}
