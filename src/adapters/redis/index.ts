import type { Clock } from '../../core/clock.js';
import { DAY, SECOND } from '../../core/clock.js';
import type { EventBus, Limiter, SessionStore } from '../../core/ports.js';
import { type ConnectionSettings, type RedisClient, type RedisTarget, client, connect, connectionOptions, disconnect, guard } from './connection.js';
import { RedisEventBus } from './eventBus.js';
import { RedisKeys } from './keys.js';
import { RedisLimiter } from './limiter.js';
import { RedisSessionStore } from './sessions.js';

export { RedisEventBus, RedisKeys, RedisLimiter, RedisSessionStore, type RedisClient, type RedisTarget };

export interface RedisFeedOptions {
  clock: Clock;
  /** TESSERA_REDIS_PREFIX; every key and stream goes under it (default 'tessera:'). */
  prefix: string;
  /** How long a publish keeps events in the stream; default one day, and never less than the longest access token plus the leeway. */
  retainMs?: number;
  /** Bound on one request-path command; default 2 s. */
  commandTimeoutMs?: number;
  /** Connection errors, for the log; commands also reject while Redis is away. */
  onError?: (error: Error) => void;
}

export interface RedisStoresOptions extends RedisFeedOptions {
  /** How long a session record stays after its end; default one day, as the core's RETENTION_MS. */
  sessionRetainMs?: number;
}

export interface RedisStores {
  sessions: SessionStore;
  limiter: Limiter;
  bus: EventBus;
  /** Resolves when Redis takes a write now (a replica, or a Redis out of memory, does not). */
  probe(): Promise<void>;
  /** Closes every subscription, then the connection. */
  close(): Promise<void>;
}

const settingsOf = (options: RedisFeedOptions): ConnectionSettings => ({
  commandTimeoutMs: options.commandTimeoutMs ?? 2 * SECOND,
  onError: options.onError ?? (() => undefined),
});

const busOf = (redis: RedisClient, options: RedisFeedOptions, settings: ConnectionSettings): RedisEventBus =>
  new RedisEventBus(redis, { clock: options.clock, keys: new RedisKeys(options.prefix), retainMs: options.retainMs ?? DAY, onError: settings.onError });

/**
 * The Redis half of a scale-out deployment: sessions, rate limits and the revocation feed, on one
 * connection for requests plus one per feed subscription. Rejects when Redis cannot be reached now;
 * once open, a lost Redis makes commands reject fast (503) until it is back, without a restart.
 */
export async function openRedisStores(target: RedisTarget, options: RedisStoresOptions): Promise<RedisStores> {
  const settings = settingsOf(options);
  const redis = await connect(target, connectionOptions('tessera', settings), settings.onError);
  const { clock } = options;
  const keys = new RedisKeys(options.prefix);
  const bus = busOf(redis, options, settings);
  return {
    sessions: new RedisSessionStore(redis, { clock, keys, retainMs: options.sessionRetainMs ?? DAY }),
    limiter: new RedisLimiter(redis, { clock, keys }),
    bus,
    probe: () =>
      guard(async () => {
        await redis.set(keys.probe, String(clock.now()), 'PX', 60_000);
      }),
    close: async () => {
      await bus.close();
      await disconnect(redis);
    },
  };
}

/**
 * The revocation feed alone, for the verifier library. Resolves at once, even while Redis is away:
 * the subscription then sends no heartbeat, so the verifier fails closed until Redis is back.
 */
export async function openRedisFeed(target: RedisTarget, options: RedisFeedOptions): Promise<{ feed: Pick<EventBus, 'subscribe'>; close(): Promise<void> }> {
  const settings = settingsOf(options);
  const redis = client(target, connectionOptions('tessera-verifier', settings));
  redis.on('error', settings.onError);
  // Not awaited: a failed first attempt goes on retrying in the background.
  redis.connect().catch(() => undefined);
  const feed = busOf(redis, options, settings);
  return {
    feed,
    close: async () => {
      await feed.close();
      await disconnect(redis);
    },
  };
}
