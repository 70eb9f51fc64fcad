import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisKeys, type RedisStores, openRedisStores } from '../../src/adapters/redis/index.js';
import { DAY, HOUR, ManualClock } from '../../src/core/clock.js';
import type { Subscription } from '../../src/core/ports.js';
import { waitFor } from '../contracts/fixtures.js';
import { REDIS_URL, serviceAvailable } from '../support/services.js';
import { deletePrefix, rawClient, testPrefix } from './helpers.js';
import { Recorder, credential, logged } from './recorder.js';

const available = await serviceAvailable('redis');
const admin = available ? rawClient(REDIS_URL) : null;
afterAll(() => admin?.quit());

describe.skipIf(!available)('Redis revocation feed, behind the port', () => {
  let redis: Redis;
  let clock: ManualClock;
  let prefix: string;
  let keys: RedisKeys;
  let stores: RedisStores;
  let subscriptions: Subscription[];

  beforeEach(async () => {
    redis = admin as Redis;
    clock = new ManualClock(Date.now());
    prefix = testPrefix();
    keys = new RedisKeys(prefix);
    stores = await openRedisStores(REDIS_URL, { clock, prefix });
    await stores.bus.markIntact();
    subscriptions = [];
  });
  afterEach(async () => {
    for (const s of subscriptions) await s.close();
    await stores.close();
    await deletePrefix(redis, prefix);
  });

  async function follow(start: Parameters<RedisStores['bus']['subscribe']>[1]): Promise<Recorder> {
    const recorder = new Recorder();
    subscriptions.push(stores.bus.subscribe(recorder, start));
    await waitFor(() => recorder.beats.length > 0, 3000, 'the first heartbeat');
    return recorder;
  }

  it('gives each event a stream id at its own time, and never refuses one that comes late', async () => {
    const now = clock.now();
    await stores.bus.publish(logged(credential(now)));
    await stores.bus.publish(logged(credential(now - 5000))); // a publisher whose clock is behind
    await stores.bus.publish(logged(credential(now + 10)));
    const ms = (await redis.xrange(keys.feed, '-', '+')).map(([id]) => Number(id.split('-')[0]));
    expect(ms[0]).toBe(now);
    // Behind the last id: it takes the next one ('*'), still never earlier than its own time.
    expect(ms[1]).toBeGreaterThanOrEqual(now);
    expect(ms[2]).toBeGreaterThanOrEqual(now + 10);
  });

  it('trims events older than the retention on append, and keeps the rest', async () => {
    const now = clock.now();
    for (let i = 0; i < 300; i++) await stores.bus.publish(logged(credential(now - 2 * DAY + i)));
    for (let i = 0; i < 300; i++) await stores.bus.publish(logged(credential(now - HOUR + i)));
    const length = await redis.xlen(keys.feed);
    expect(length).toBeGreaterThanOrEqual(300);
    // MINID ~ trims whole stream nodes (100 entries): what is left of the old ones is less than a node.
    expect(length).toBeLessThan(400);
    const oldest = await redis.xrange(keys.feed, '-', '+', 'COUNT', 1);
    expect(Number(oldest[0]?.[0].split('-')[0])).toBeGreaterThanOrEqual(now - 2 * DAY + 200);
  });

  it('replays more than a page, in order, before the first heartbeat', async () => {
    const now = clock.now();
    const pipeline = Array.from({ length: 1234 }, (_, i) => credential(now - 1234 + i, `bulk-${i}`));
    for (const event of pipeline) await stores.bus.publish(logged(event));
    const recorder = new Recorder();
    subscriptions.push(stores.bus.subscribe(recorder, { sinceTime: now - 1000 }));
    await waitFor(() => recorder.beats.length > 0, 5000, 'the first heartbeat');
    expect(recorder.sids()).toEqual(pipeline.slice(234).map((e) => (e.type === 'credential' ? e.sid : '')));
    const ids = recorder.messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('replays by the events own times, leaving out one stamped before the start whose id came later', async () => {
    const now = clock.now();
    const inRange = credential(now - 1000);
    const late = credential(now - 9000); // behind the stream's last id: its id is after the start
    await stores.bus.publish(logged(inRange));
    await stores.bus.publish(logged(late));
    const recorder = await follow({ sinceTime: now - 5000 });
    expect(recorder.messages.map((m) => m.event)).toEqual([inRange]);
  });

  it('carries each event with its log id, and sends no heartbeat while the stream is not marked intact', async () => {
    const event = logged(credential(clock.now()));
    await stores.bus.publish(event);
    await redis.del(keys.feedIntact); // as a flush would leave it
    const recorder = new Recorder();
    subscriptions.push(stores.bus.subscribe(recorder, { sinceTime: 0 }));
    await waitFor(() => recorder.messages.length > 0, 3000, 'the replay');
    expect(recorder.messages).toEqual([event]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(recorder.beats).toHaveLength(0);
    expect(await stores.bus.intact()).toBe(false);
    await stores.bus.markIntact();
    expect(await stores.bus.intact()).toBe(true);
    await waitFor(() => recorder.beats.length > 0, 3000, 'a heartbeat once intact');
  });

  it('beats about once a second with the clock of the bus, and closes at once', async () => {
    clock.set(T_CLOCK);
    const recorder = await follow({ sinceTime: Date.now() });
    await waitFor(() => recorder.beats.length >= 4, 5000, 'four heartbeats');
    const gaps = recorder.beats.slice(1).map((beat, i) => beat.real - (recorder.beats[i]?.real ?? 0));
    // About a second (a 900 ms block); the bound is generous for a busy machine, and still far below
    // the staleness bound that a missing heartbeat would trip.
    for (const gap of gaps) expect(gap).toBeLessThan(2000);
    expect(recorder.beats.every((beat) => beat.at === T_CLOCK)).toBe(true);
    const subscription = subscriptions.pop() as Subscription;
    const started = Date.now();
    await subscription.close();
    expect(Date.now() - started).toBeLessThan(500); // not after the 900 ms block
    const beats = recorder.beats.length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(recorder.beats).toHaveLength(beats);
  });
});

const T_CLOCK = Date.UTC(2030, 0, 1);
