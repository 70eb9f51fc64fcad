import { Redis, type RedisOptions } from 'ioredis';
import { storeUnavailable } from '../../core/errors.js';

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
export async function connect(url: string, options: RedisOptions, onError: (error: Error) => void): Promise<Redis> {
  const redis = new Redis(url, options);
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
    throw storeUnavailable('redis', cause ?? error);
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
export async function disconnect(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
