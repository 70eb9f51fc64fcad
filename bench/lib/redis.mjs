// The shared Redis: checked before a scenario that needs it, and cleaned of our prefix after.
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

function connect() {
  // Bounded: a missing Redis fails in seconds instead of retrying for ever.
  return new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, commandTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Throws with the reason when Redis does not answer PING. */
export async function assertRedis() {
  const redis = connect();
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis not reachable at ${REDIS_URL}: ${error.message}`);
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS: the Redis is shared); returns how many. */
export async function deletePrefix(prefix) {
  const redis = connect();
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
