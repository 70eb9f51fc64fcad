import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/clock.js';
import type { User } from '../../src/core/model.js';
import type { Session } from '../../src/core/model.js';
import type { SessionStore } from '../../src/core/ports.js';
import { touchInterval } from '../../src/core/sessions.js';
import { CLIENT, codeOf, openSession, PASSWORD, peerOf, testCore, type TestCore } from '../support/core.js';

let c: TestCore;
let alice: User;
beforeEach(async () => {
  c = await testCore({ TESSERA_MAX_SESSIONS_PER_USER: '2' });
  alice = await c.tessera.register('alice', PASSWORD, CLIENT);
});
afterEach(() => c.tessera.close());

/** Counts the store reads behind validation, to show the cache at work. */
function countReads(store: SessionStore): { reads: number } {
  const counter = { reads: 0 };
  const get = store.getSession.bind(store);
  store.getSession = (id: string): Promise<Session | null> => {
    counter.reads++;
    return get(id);
  };
  return counter;
}

describe('session lifetimes', () => {
  it('slides the idle timeout with use and expires after 30 idle minutes', async () => {
    const { token } = await openSession(c, alice, false);
    for (let i = 0; i < 10; i++) {
      c.advance(20 * MINUTE);
      expect(await codeOf(c.tessera.validateSession(token))).toBe('ok');
    }
    c.advance(30 * MINUTE);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_expired');
  });

  it('never expires late: recording lags by at most min(60 s, idle/4)', async () => {
    expect(touchInterval(30 * MINUTE)).toBe(MINUTE);
    expect(touchInterval(2 * MINUTE)).toBe(30 * SECOND);
    const { token } = await openSession(c, alice, false);
    c.advance(59 * SECOND);
    await c.tessera.validateSession(token); // not recorded: within the lag
    c.advance(30 * MINUTE - 59 * SECOND);
    // 30 min after the last recorded use, although only 29:01 after the last real one: early, not late.
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_expired');
  });

  it('ends at the absolute lifetime however busy', async () => {
    const { token } = await openSession(c, alice, false);
    c.advance(12 * HOUR - MINUTE);
    // Idle by then: keep it alive to show the absolute bound is the one that ends it.
    const busy = await openSession(c, alice, false);
    for (let elapsed = 0; elapsed < 12 * HOUR - 10 * MINUTE; elapsed += 10 * MINUTE) {
      c.advance(10 * MINUTE);
      expect(await codeOf(c.tessera.validateSession(busy.token))).toBe('ok');
    }
    c.advance(10 * MINUTE);
    expect(await codeOf(c.tessera.validateSession(busy.token))).toBe('session_expired');
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_expired');
  });

  it('gives remember sessions 7 idle days and 30 days in all', async () => {
    const { token, session } = await openSession(c, alice, true);
    expect(session.expiresAt - session.createdAt).toBe(30 * DAY);
    c.advance(7 * DAY - MINUTE);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('ok');
    c.advance(7 * DAY);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_expired');
  });
});

describe('the per-instance session cache', () => {
  it('serves repeated checks without a store read, and a revocation evicts at once', async () => {
    const { token, session } = await openSession(c, alice, false);
    const counter = countReads(c.stores.sessions);
    for (let i = 0; i < 5; i++) await c.tessera.validateSession(token);
    expect(counter.reads).toBe(1);
    await c.tessera.logOut(session, CLIENT);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_revoked');
  });

  it('is evicted by a revocation from another instance on the same database', async () => {
    const { token, session } = await openSession(c, alice, false);
    await c.tessera.validateSession(token);
    const peer = await peerOf(c);
    try {
      // The other instance logs the end; this one's follower polls the log (every 200 ms here).
      await peer.logOut(session, CLIENT);
      await vi.waitFor(async () => expect(await codeOf(c.tessera.validateSession(token))).toBe('session_revoked'), { timeout: 5000, interval: 20 });
    } finally {
      await peer.close();
    }
  });

  it('sees a new role and a disable on the next check', async () => {
    const { token } = await openSession(c, alice, false);
    expect((await c.tessera.validateSession(token)).user.role).toBe('user');
    await c.tessera.updateUser(alice.id, { role: 'admin' }, null);
    expect((await c.tessera.validateSession(token)).user.role).toBe('admin');
    await c.tessera.updateUser(alice.id, { disabled: true }, null);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_revoked');
  });
});

describe('session cap and tombstones', () => {
  it('evicts the oldest live session beyond the cap and reports it as revoked', async () => {
    const first = await openSession(c, alice, false);
    c.advance(SECOND);
    await openSession(c, alice, false);
    c.advance(SECOND);
    await openSession(c, alice, false);
    expect(await codeOf(c.tessera.validateSession(first.token))).toBe('session_revoked');
    expect(await c.tessera.listCredentials(alice.id)).toHaveLength(2);
  });

  it('keeps tombstones a day past the end, then forgets', async () => {
    const { token, session } = await openSession(c, alice, false);
    await c.tessera.logOut(session, CLIENT);
    c.advance(DAY - SECOND);
    await c.tessera.purge();
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_revoked');
    c.advance(2 * SECOND);
    await c.tessera.purge();
    expect(await codeOf(c.tessera.validateSession(token))).toBe('unauthenticated');
  });
});
