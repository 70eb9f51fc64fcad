import { afterAll, describe } from 'vitest';
import { openRedisStores, type RedisStores } from '../../src/adapters/redis/index.js';
import { type Clock, ManualClock } from '../../src/core/clock.js';
import { deletePrefix, rawClient, testPrefix } from '../redis/helpers.js';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { limiterContract } from './limiter.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';

const available = await serviceAvailable('redis');

/** Behind the stores' back, to delete each test's keys. */
const admin = available ? rawClient(REDIS_URL) : null;
afterAll(() => admin?.quit());

/**
 * Stores under a prefix of their own; `close` closes them and deletes every key under the prefix
 * (SCAN + DEL).
 */
async function openIsolated(clock: Clock = new ManualClock()): Promise<{ stores: RedisStores; close(): Promise<void> }> {
  const prefix = testPrefix();
  const stores = await openRedisStores(REDIS_URL, { clock, prefix });
  return {
    stores,
    close: async () => {
      await stores.close();
      if (admin) await deletePrefix(admin, prefix);
    },
  };
}

describe.skipIf(!available)('redis', () => {
  sessionStoreContract('redis', async () => {
    const { stores, close } = await openIsolated();
    return { store: stores.sessions, close };
  });

  limiterContract('redis', async () => {
    const { stores, close } = await openIsolated();
    return { limiter: stores.limiter, close };
  });
});
