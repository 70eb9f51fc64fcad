import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisStores, openRedisStores } from '../../src/adapters/redis/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { T0, makeSession, waitFor } from '../contracts/fixtures.js';
import { serviceAvailable } from '../support/services.js';
import { ScratchRedis, keysUnder, rawClient } from './helpers.js';
import { Recorder, credential, logged } from './recorder.js';

/** On a redis-server of its own, so that "every key" can be listed without other tests' keys in the way. */
const available = await serviceAvailable('redis');

describe.skipIf(!available)('Redis key prefixes', () => {
  let redis: ScratchRedis;
  let admin: Redis;
  let a: RedisStores;
  let b: RedisStores;

  beforeAll(async () => {
    redis = await ScratchRedis.start();
    admin = rawClient(redis.url);
    const clock = new ManualClock(T0);
    a = await openRedisStores(redis.url, { clock, prefix: 'tessera:' });
    b = await openRedisStores(redis.url, { clock, prefix: 'other:' });
    await b.bus.markIntact();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    admin.disconnect();
    await redis.stop();
  });

  it('keeps two deployments apart on one Redis', async () => {
    const session = makeSession();
    await a.sessions.createSession(session, 5, T0);
    await b.sessions.createSession({ ...session, ip: '198.51.100.1' }, 5, T0);
    await b.sessions.revokeSession(session.id, 'logout', T0 + 1);
    expect(await a.sessions.getSession(session.id)).toEqual(session);
    expect(await a.sessions.listSessions(session.userId, T0 + 2)).toEqual([session]);
    await a.limiter.hit('login', 60_000, T0);
    expect(await b.limiter.peek('login', T0)).toBeNull();
    const heard = new Recorder();
    const subscription = b.bus.subscribe(heard, { sinceTime: 0 });
    await waitFor(() => heard.beats.length > 0, 3000, 'the first heartbeat');
    await a.bus.publish(logged(credential(T0)));
    await waitFor(() => heard.beats.length > 2, 4000, 'two more heartbeats');
    await subscription.close();
    expect(heard.messages).toEqual([]);
  });

  it('puts every key under its prefix, each behind the hash tag of its shard, its limit subject or the feed', async () => {
    const all = await keysUnder(admin, '');
    expect(all.length).toBeGreaterThan(0);
    for (const key of all) expect(key, key).toMatch(/^(tessera|other):\{(s:\d{1,4}|l:[^}]+|feed)\}/);
    expect((await keysUnder(admin, 'tessera:')).sort()).toEqual(all.filter((k) => k.startsWith('tessera:')).sort());
  });
});
