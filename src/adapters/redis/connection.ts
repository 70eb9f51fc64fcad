import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { storeUnavailable } from '../../core/errors.js';

/** One Redis node, or a Redis Cluster (ioredis routes each command to the node of its key's slot). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: a node's URL, or a cluster's seed nodes (`host:port`), as TESSERA_REDIS_URL or TESSERA_REDIS_CLUSTER say. */
export type RedisTarget = string | { cluster: readonly string[] };

const describeTarget = (target: RedisTarget): string => (typeof target === 'string' ? 'redis' : `the Redis Cluster at ${target.cluster.join(',')}`);

/** A client for the target, not connected yet. */
export function client(target: RedisTarget, options: RedisOptions): RedisClient {
  if (typeof target === 'string') return new Redis(target, options);
  const nodes = target.cluster.map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
  const { connectionName: _name, commandTimeout: _timeout, ...nodeOptions } = options;
  return new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // A slot whose primary died is served again once its replica is promoted: refresh the map soon.
    slotsRefreshTimeout: 1000,
    slotsRefreshInterval: 5000,
    clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    // A MOVED or a failed node answers 503 at once; the caller retries, never a script run twice.
    maxRedirections: 4,
    retryDelayOnFailover: 100,
    redisOptions: { ...nodeOptions, connectionName: options.connectionName ?? 'tessera', commandTimeout: options.commandTimeout ?? 2000 },
  });
}

/** A connection like `redis` for blocking reads (its own socket, a longer command timeout). */
export function duplicateFor(redis: RedisClient, name: string, commandTimeout: number): RedisClient {
  if (redis instanceof Cluster) {
    return redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, connectionName: name, commandTimeout } });
  }
  return redis.duplicate({ connectionName: name, commandTimeout });
}

export interface ConnectionSettings {
  /** Bound on any one command, so that a hung socket becomes a rejection (503), not a hang. */
  commandTimeoutMs: number;
  /** Connection-level errors; they also reach callers as rejected commands. */
  onError: (error: Error) => void;
}

/** Options shared by every Tessera connection: fail fast while Redis is away, reconnect in the background. */
export function connectionOptions(name: string, settings: ConnectionSettings): RedisOptions {
  return {
    lazyConnect: true,
    connectionName: name,
    // A command issued while Redis is away fails at once instead of waiting in a queue.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail at the first reconnect attempt...
    maxRetriesPerRequest: 0,
    // ...and are never sent again: a script that counts or revokes may have run already.
    autoResendUnfulfilledCommands: false,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: Math.max(settings.commandTimeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 1000),
  };
}

/** Opens a connection and waits until it is ready; rejects (and stops retrying) when Redis is not there. */
export async function connect(target: RedisTarget, options: RedisOptions, onError: (error: Error) => void): Promise<RedisClient> {
  const redis = client(target, options);
  // The rejection says only that the connection closed; the error event before it says why (ECONNREFUSED…).
  let cause: Error | null = null;
  redis.on('error', (error: Error) => {
    cause ??= error;
    onError(error);
  });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw storeUnavailable(describeTarget(target), cause ?? error);
  }
}

/**
 * Runs one request-path call. Any failure (Redis away, timed out, or an error reply) becomes AuthError
 * `unavailable`: the core answers 503 and never mistakes it for "not found". The cause is kept.
 */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw storeUnavailable('redis', error);
  }
}

/** Ends a connection: politely when Redis answers, at once when it does not. */
export async function disconnect(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
