import type { Clock } from '../../core/clock.js';
import type { FeedMessage } from '../../core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../../core/ports.js';
import { type RedisClient, duplicateFor, guard } from './connection.js';
import { messageFields } from './feedEntries.js';
import type { RedisKeys } from './keys.js';
import { LuaScript } from './script.js';
import { BLOCK_MS, StreamSubscription } from './subscription.js';

/**
 * KEYS: the stream. ARGV: the oldest id to keep, the event's time (ms), then the entry's fields.
 * Ids follow the events' own times, so that a replay "from a time" is a range of ids whatever Redis's
 * clock says. When the time is behind the stream's last id (clock skew, or a re-publish of older
 * events), '*' takes the next id instead: ids only grow, and an id is never earlier than its event.
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

/** INFO's server section, from the node holding KEYS[1] (a script runs where its key lives). */
const FEED_NODE_INFO = new LuaScript(`return redis.call('INFO', 'server')`);

/** The run id in INFO's server section: it changes whenever Redis restarts. */
const runId = (info: string): string => /^run_id:([0-9a-f]+)/m.exec(info)?.[1] ?? '';

export interface RedisEventBusOptions {
  clock: Clock;
  keys: RedisKeys;
  /** How long events stay in the stream: at least the longest access token in flight plus the leeway. */
  retainMs: number;
  onError: (error: Error) => void;
}

/**
 * The push transport of the revocation log on a Redis Stream, trimmed to `retainMs` on every append,
 * followed by blocking reads on a connection per subscription. It only carries what the log decided:
 * entries name their log id, and a duplicate is harmless.
 */
export class RedisEventBus implements EventBus {
  readonly #redis: RedisClient;
  readonly #o: RedisEventBusOptions;
  readonly #subscriptions = new Set<StreamSubscription>();

  constructor(redis: RedisClient, options: RedisEventBusOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  async publish(message: FeedMessage): Promise<void> {
    const keep = Math.max(0, Math.floor(this.#o.clock.now() - this.#o.retainMs));
    const args = [keep, Math.max(0, Math.floor(message.event.at)), ...messageFields(message)];
    await guard(async () => {
      if (typeof (await APPEND.run(this.#redis, [this.#o.keys.feed], args)) !== 'string') throw new Error('unexpected reply from Redis');
    });
  }

  subscribe(listener: FeedListener, start: FeedStart): Subscription {
    // Blocking reads get a connection of their own, so that they never hold up request-path commands.
    const connection = duplicateFor(this.#redis, 'tessera-feed', BLOCK_MS + READ_GRACE_MS);
    connection.on('error', this.#o.onError);
    const subscription: StreamSubscription = new StreamSubscription({
      connection,
      keys: this.#o.keys,
      listener,
      start,
      clock: this.#o.clock,
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  intact(): Promise<boolean> {
    return guard(async () => {
      const [info, marker] = await Promise.all([this.#feedNodeInfo(), this.#redis.get(this.#o.keys.feedIntact)]);
      return marker !== null && marker === runId(info);
    });
  }

  markIntact(): Promise<void> {
    return guard(async () => {
      await this.#redis.set(this.#o.keys.feedIntact, runId(await this.#feedNodeInfo()));
    });
  }

  /** INFO of the node that holds the stream (on a cluster, the primary of its slot: a failover changes the run id). */
  async #feedNodeInfo(): Promise<string> {
    const info = await FEED_NODE_INFO.run(this.#redis, [this.#o.keys.feed], []);
    if (typeof info !== 'string') throw new Error('unexpected reply from Redis');
    return info;
  }

  /** Closes every subscription of this bus; the shared connection belongs to the caller. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
  }
}
