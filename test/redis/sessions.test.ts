import { ownerShard, shardOfSession } from '../../src/core/sessions.js';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisKeys, type RedisStores, openRedisStores } from '../../src/adapters/redis/index.js';
import { DAY, HOUR, MINUTE, ManualClock } from '../../src/core/clock.js';
import { T0, makeSession } from '../contracts/fixtures.js';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { deletePrefix, rawClient, testPrefix } from './helpers.js';

const available = await serviceAvailable('redis');
const admin = available ? rawClient(REDIS_URL) : null;
afterAll(() => admin?.quit());

/** Redis TTLs run on real time while the test runs: allow for the test's own duration. */
const near = (actual: number, expected: number): void => {
  expect(actual).toBeLessThanOrEqual(expected);
  expect(actual).toBeGreaterThan(expected - 5000);
};

describe.skipIf(!available)('Redis sessions and limits, behind the port', () => {
  let redis: Redis;
  let clock: ManualClock;
  let prefix: string;
  let keys: RedisKeys;
  let stores: RedisStores;

  beforeEach(async () => {
    redis = admin as Redis;
    clock = new ManualClock(T0);
    prefix = testPrefix();
    keys = new RedisKeys(prefix);
    stores = await openRedisStores(REDIS_URL, { clock, prefix });
  });
  afterEach(async () => {
    await stores.close();
    await deletePrefix(redis, prefix);
  });

  it('gives a record and its user index a TTL of its end plus a day, on the clock of the caller', async () => {
    const session = makeSession({ idleTimeoutMs: 30 * MINUTE, expiresAt: T0 + 12 * HOUR });
    await stores.sessions.createSession(session, 5, T0);
    near(await redis.pttl(keys.session(session.id)), 30 * MINUTE + DAY);
    near(await redis.pttl(keys.userSessions(session.userId)), 30 * MINUTE + DAY);
    expect(await redis.zscore(keys.sessionEnds(shardOfSession(session.id)), session.id)).toBe(String(T0 + 30 * MINUTE));
    expect(await redis.zscore(keys.userSessions(session.userId), session.id)).toBe(String(T0 + 30 * MINUTE));
  });

  it('extends the TTL on use, never shortens it, and counts a tombstone a day from its revocation', async () => {
    const session = makeSession({ idleTimeoutMs: 30 * MINUTE });
    await stores.sessions.createSession(session, 5, T0);
    await stores.sessions.touchSession(session.id, T0 + 10 * MINUTE);
    near(await redis.pttl(keys.session(session.id)), 40 * MINUTE + DAY);
    clock.advance(2 * HOUR); // later writes compute shorter TTLs from this clock: they must not apply them
    await stores.sessions.touchSession(session.id, T0 + 11 * MINUTE);
    near(await redis.pttl(keys.session(session.id)), 40 * MINUTE + DAY);
    expect((await stores.sessions.getSession(session.id))?.lastSeenAt).toBe(T0 + 11 * MINUTE);
    await stores.sessions.touchSession(session.id, T0 + 5 * MINUTE);
    expect((await stores.sessions.getSession(session.id))?.lastSeenAt).toBe(T0 + 11 * MINUTE);
    await stores.sessions.revokeSession(session.id, 'logout', T0 + 2 * HOUR + MINUTE);
    near(await redis.pttl(keys.session(session.id)), MINUTE + DAY);
  });

  it('keeps no record whose day of retention has passed by the clock', async () => {
    clock.set(T0 + 3 * DAY);
    const old = makeSession({ expiresAt: T0 + HOUR });
    await stores.sessions.createSession(old, 5, T0);
    await expect.poll(() => stores.sessions.getSession(old.id), { timeout: 1000 }).toBeNull();
  });

  it('keeps the secret digest byte for byte, and any user agent', async () => {
    const secretHash = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    for (const userAgent of ['', 'Mozilla/5.0 ü 😀 "quoted" \\ \n', 'x'.repeat(2000)]) {
      const session = makeSession({ secretHash, userAgent, ip: '::1' });
      await stores.sessions.createSession(session, 5, T0);
      const stored = await stores.sessions.getSession(session.id);
      expect(stored).toEqual(session);
      expect(stored?.secretHash.equals(secretHash)).toBe(true);
    }
  });

  it('prunes the user index of members that ended, were revoked, or whose record is gone', async () => {
    const userId = 'user-prune';
    const [short, revoked, vanished, lasting] = [HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR].map((life, i) =>
      makeSession({ userId, createdAt: T0 + i, lastSeenAt: T0 + i, expiresAt: T0 + life, idleTimeoutMs: 12 * HOUR }),
    ) as [ReturnType<typeof makeSession>, ReturnType<typeof makeSession>, ReturnType<typeof makeSession>, ReturnType<typeof makeSession>];
    for (const s of [short, revoked, vanished, lasting]) await stores.sessions.createSession(s, 10, s.createdAt);
    const index = keys.userSessions(userId);
    expect(await redis.zcard(index)).toBe(4);
    await stores.sessions.revokeSession(revoked.id, 'logout', T0 + 10);
    expect(await redis.zscore(index, revoked.id)).toBeNull();
    await redis.del(keys.session(vanished.id)); // as its TTL would
    expect((await stores.sessions.listSessions(userId, T0 + 2 * HOUR)).map((s) => s.id)).toEqual([lasting.id]);
    expect(await redis.zrange(index, 0, -1)).toEqual([lasting.id]);
    // The purge index forgets the vanished record without counting it as purged.
    expect(await stores.sessions.purgeSessions(T0 + 20 * HOUR)).toBe(3);
    expect(await redis.zrange(keys.sessionEnds(ownerShard(userId)), 0, -1)).toEqual([]);
    expect(await redis.exists(keys.session(short.id), keys.session(revoked.id), keys.session(lasting.id))).toBe(0);
  });

  it('purges in batches, leaving nothing behind', async () => {
    const userId = 'user-many';
    const many = Array.from({ length: 1234 }, (_, i) => makeSession({ userId, expiresAt: T0 + HOUR + i, idleTimeoutMs: 2 * HOUR }));
    await Promise.all(many.map((s) => stores.sessions.createSession(s, 2000, T0)));
    expect(await stores.sessions.purgeSessions(T0 + HOUR + 1000)).toBe(1000);
    expect(await stores.sessions.purgeSessions(T0 + 2 * HOUR)).toBe(234);
    expect(await redis.zcard(keys.sessionEnds(ownerShard(userId)))).toBe(0);
    expect(await redis.exists(keys.userSessions(userId))).toBe(0);
  });

  it('agrees on who is over the cap across instances logging in at once', async () => {
    const other = await openRedisStores(REDIS_URL, { clock, prefix });
    try {
      const userId = 'user-racing';
      const logins = Array.from({ length: 30 }, (_, i) => makeSession({ userId, createdAt: T0 + i, lastSeenAt: T0 + i }));
      const over = new Set((await Promise.all(logins.map((s, i) => (i % 2 ? other : stores).sessions.createSession(s, 3, T0 + 100)))).flat());
      // The core revokes what the creates reported (through the log); that leaves exactly the cap.
      expect(over.size).toBe(27);
      for (const id of over) await stores.sessions.revokeSession(id, 'evicted', T0 + 100);
      const live = await stores.sessions.listSessions(userId, T0 + 100);
      expect(live).toHaveLength(3);
      expect(await redis.zcard(keys.userSessions(userId))).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('gives a rate-limit window a TTL of its end, renewed with each new window', async () => {
    await stores.limiter.hit('login:ip', MINUTE, T0);
    near(await redis.pttl(keys.limit('login:ip')), MINUTE + 1000);
    await stores.limiter.hit('login:ip', MINUTE, T0 + 30_000);
    near(await redis.pttl(keys.limit('login:ip')), MINUTE + 1000);
    await stores.limiter.hit('login:ip', MINUTE, T0 + MINUTE + 30_000);
    near(await redis.pttl(keys.limit('login:ip')), 2 * MINUTE + 30_000 + 1000);
    await stores.limiter.reset('login:ip');
    expect(await redis.exists(keys.limit('login:ip'))).toBe(0);
  });
});
