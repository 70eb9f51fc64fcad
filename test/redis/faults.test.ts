import { afterEach, describe, expect, it } from 'vitest';
import { type RedisStores, openRedisFeed, openRedisStores } from '../../src/adapters/redis/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { isAuthError } from '../../src/core/errors.js';
import type { Subscription } from '../../src/core/ports.js';
import { makeSession, waitFor } from '../contracts/fixtures.js';
import { serviceAvailable } from '../support/services.js';
import { ScratchRedis, rawClient } from './helpers.js';
import { Recorder, credential, logged } from './recorder.js';

/** These tests stop Redis, so each runs a redis-server of its own; the shared one is never touched. */
const available = await serviceAvailable('redis');

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with how long `work` took to reject with AuthError `unavailable`; fails when it resolves. */
async function rejectsUnavailable(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const outcome = await work().then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error, 'unavailable') ? 'unavailable' : String(error)),
  );
  expect(outcome).toBe('unavailable');
  return Date.now() - started;
}

describe.skipIf(!available)('Redis going away and coming back', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(options: { durable?: boolean; start?: boolean } = {}): Promise<ScratchRedis> {
    const scratch = options.start === false ? await ScratchRedis.reserve(options) : await ScratchRedis.start(options);
    cleanups.push(() => scratch.stop());
    return scratch;
  }

  async function stores(url: string, commandTimeoutMs?: number): Promise<RedisStores> {
    const opened = await openRedisStores(url, { clock: new ManualClock(Date.now()), prefix: 'tessera:', commandTimeoutMs });
    cleanups.push(() => opened.close());
    // What the relay does once it has published the log: followers beat only on an intact stream.
    await opened.bus.markIntact();
    return opened;
  }

  function follow(opened: { bus: RedisStores['bus'] } | { feed: Pick<RedisStores['bus'], 'subscribe'> }, start = { sinceTime: 0 }): Recorder {
    const recorder = new Recorder();
    const subscription: Subscription = ('bus' in opened ? opened.bus : opened.feed).subscribe(recorder, start);
    cleanups.push(() => subscription.close());
    return recorder;
  }

  it('refuses to open when no Redis listens', async () => {
    const nowhere = await server({ start: false });
    expect(await rejectsUnavailable(() => openRedisStores(nowhere.url, { clock: new ManualClock(), prefix: 'tessera:' }))).toBeLessThan(3000);
  });

  it('rejects fast while Redis is away, never answering "not found", and serves again once it is back', async () => {
    const redis = await server();
    const opened = await stores(redis.url);
    const session = makeSession();
    await opened.sessions.createSession(session, 5, session.createdAt);
    await redis.kill();
    expect(await rejectsUnavailable(() => opened.bus.publish(logged(credential(Date.now()))))).toBeLessThan(500);
    expect(await rejectsUnavailable(() => opened.sessions.getSession(session.id))).toBeLessThan(500);
    expect(await rejectsUnavailable(() => opened.sessions.revokeSession(session.id, 'logout', Date.now()))).toBeLessThan(500);
    expect(await rejectsUnavailable(() => opened.limiter.hit('k', 60_000, Date.now()))).toBeLessThan(500);
    await expect(opened.probe()).rejects.toThrow();
    await redis.start();
    await expect.poll(() => opened.probe().then(() => true, () => false), { timeout: 5000, interval: 50 }).toBe(true);
    await expect(opened.bus.publish(logged(credential(Date.now())))).resolves.toBeUndefined();
    await expect(opened.sessions.createSession(makeSession(), 5, Date.now())).resolves.toEqual([]);
  });

  it('times out instead of hanging when Redis stops answering, and beats again once it answers', async () => {
    const redis = await server();
    const opened = await stores(redis.url, 300);
    const recorder = follow(opened);
    await waitFor(() => recorder.beats.length > 0, 3000, 'the first heartbeat');
    redis.pause();
    const frozenAt = recorder.beats.length;
    expect(await rejectsUnavailable(() => opened.bus.publish(logged(credential(Date.now()))))).toBeLessThan(1000);
    expect(await rejectsUnavailable(() => opened.sessions.getSession('any'))).toBeLessThan(1000);
    await settle(2500);
    expect(recorder.beats.length).toBeLessThanOrEqual(frozenAt + 1); // at most the read already answered
    const silentFrom = recorder.beats.length;
    redis.resume();
    await waitFor(() => recorder.beats.length > silentFrom, 8000, 'heartbeats after the freeze');
    await expect(opened.bus.publish(logged(credential(Date.now())))).resolves.toBeUndefined();
  });

  it('resumes the feed after a restart without losing or repeating an event, and sends no heartbeat meanwhile', async () => {
    const redis = await server({ durable: true });
    const subscriber = await stores(redis.url);
    const publisher = await stores(redis.url);
    const recorder = follow(subscriber);
    const [e1, e2, e3] = [credential(Date.now()), credential(Date.now() + 1), credential(Date.now() + 2)];
    await publisher.bus.publish(logged(e1));
    await publisher.bus.publish(logged(e2));
    await waitFor(() => recorder.messages.length === 2, 3000, 'the first two events');
    await redis.kill();
    const beatsAtKill = recorder.beats.length;
    await settle(1500);
    expect(recorder.beats.length).toBe(beatsAtKill);
    await redis.start();
    await expect.poll(() => publisher.probe().then(() => true, () => false), { timeout: 5000, interval: 50 }).toBe(true);
    await publisher.bus.publish(logged(e3));
    await waitFor(() => recorder.messages.length >= 3, 5000, 'the event published after the restart');
    await waitFor(() => recorder.beats.length > beatsAtKill, 3000, 'heartbeats after the restart');
    expect(recorder.messages.map((m) => m.event)).toEqual([e1, e2, e3]);
  });

  it('resumes after its last id when its connection is cut while another instance publishes', async () => {
    const redis = await server();
    const subscriber = await stores(redis.url);
    const publisher = await stores(redis.url);
    const recorder = follow(subscriber);
    const events = Array.from({ length: 20 }, (_, i) => credential(Date.now() + i));
    await publisher.bus.publish(logged(events[0] ?? credential(0)));
    await waitFor(() => recorder.messages.length === 1, 3000, 'the first event');
    const admin = rawClient(redis.url);
    try {
      expect(await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')).toBeGreaterThanOrEqual(2);
    } finally {
      admin.disconnect();
    }
    await expect.poll(() => publisher.probe().then(() => true, () => false), { timeout: 5000, interval: 20 }).toBe(true);
    for (const event of events.slice(1)) await publisher.bus.publish(logged(event));
    await waitFor(() => recorder.messages.length >= events.length, 5000, 'every event');
    await settle(1100); // one more read: nothing is delivered twice
    expect(recorder.messages.map((m) => m.event)).toEqual(events);
  });

  it("opens the verifier's feed before Redis is there, and follows it once it is", async () => {
    const redis = await server({ start: false });
    const opened = await openRedisFeed(redis.url, { clock: new ManualClock(Date.now()), prefix: 'tessera:' });
    cleanups.push(() => opened.close());
    const recorder = follow(opened);
    await settle(1000);
    expect(recorder.beats).toHaveLength(0);
    await redis.start();
    // A Tessera instance's relay marks the stream intact; only then does the verifier call itself ready.
    const publisher = await stores(redis.url);
    await waitFor(() => recorder.beats.length > 0, 5000, 'the first heartbeat');
    const event = credential(Date.now());
    await publisher.bus.publish(logged(event));
    await waitFor(() => recorder.messages.length > 0, 3000, 'the event');
    expect(recorder.messages.map((m) => m.event)).toEqual([event]);
  });
});
