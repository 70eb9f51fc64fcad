import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/clock.js';
import type { User } from '../../src/core/model.js';
import type { Session } from '../../src/core/model.js';
import type { SessionStore } from '../../src/core/ports.js';
import { touchInterval } from '../../src/core/sessions.js';
import { CLIENT, PASSWORD, type TestCore, codeOf, testCore } from '../support/core.js';

let c: TestCore;
let alice: User;
beforeEach(async () => {
  c = await testCore({ TESSERA_MAX_SESSIONS_PER_USER: '2' });
  alice = await c.tessera.users.register('alice', PASSWORD, CLIENT);
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
    const { token } = await c.tessera.sessions.create(alice, false, CLIENT);
    for (let i = 0; i < 10; i++) {
      c.advance(20 * MINUTE);
      expect(await codeOf(c.tessera.sessions.validate(token))).toBe('ok');
    }
    c.advance(30 * MINUTE);
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_expired');
  });

  it('never expires late: recording lags by at most min(60 s, idle/4)', async () => {
    expect(touchInterval(30 * MINUTE)).toBe(MINUTE);
    expect(touchInterval(2 * MINUTE)).toBe(30 * SECOND);
    const { token } = await c.tessera.sessions.create(alice, false, CLIENT);
    c.advance(59 * SECOND);
    await c.tessera.sessions.validate(token); // not recorded: within the lag
    c.advance(30 * MINUTE - 59 * SECOND);
    // 30 min after the last recorded use, although only 29:01 after the last real one: early, not late.
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_expired');
  });

  it('ends at the absolute lifetime however busy', async () => {
    const { token } = await c.tessera.sessions.create(alice, false, CLIENT);
    c.advance(12 * HOUR - MINUTE);
    // Idle by then: keep it alive to show the absolute bound is the one that ends it.
    const busy = await c.tessera.sessions.create(alice, false, CLIENT);
    for (let elapsed = 0; elapsed < 12 * HOUR - 10 * MINUTE; elapsed += 10 * MINUTE) {
      c.advance(10 * MINUTE);
      expect(await codeOf(c.tessera.sessions.validate(busy.token))).toBe('ok');
    }
    c.advance(10 * MINUTE);
    expect(await codeOf(c.tessera.sessions.validate(busy.token))).toBe('session_expired');
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_expired');
  });

  it('gives remember sessions 7 idle days and 30 days in all', async () => {
    const { token, session } = await c.tessera.sessions.create(alice, true, CLIENT);
    expect(session.expiresAt - session.createdAt).toBe(30 * DAY);
    c.advance(7 * DAY - MINUTE);
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('ok');
    c.advance(7 * DAY);
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_expired');
  });
});

describe('the per-instance session cache', () => {
  it('serves repeated checks without a store read, and a revocation evicts at once', async () => {
    const { token, session } = await c.tessera.sessions.create(alice, false, CLIENT);
    const counter = countReads(c.stores.sessions);
    for (let i = 0; i < 5; i++) await c.tessera.sessions.validate(token);
    expect(counter.reads).toBe(1);
    await c.tessera.sessions.revoke(session.id, 'logout', CLIENT);
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_revoked');
  });

  it('is evicted by a revocation from another instance on the same feed', async () => {
    const { token, session } = await c.tessera.sessions.create(alice, false, CLIENT);
    await c.tessera.sessions.validate(token);
    // Another instance ends the session: store tombstone, then the event on the shared feed.
    await c.stores.sessions.revokeSession(session.id, 'admin', c.clock.now());
    await c.stores.bus.peer().publish({ type: 'credential', sid: session.id, userId: alice.id, at: c.clock.now() });
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_revoked');
  });

  it('sees a new role and a disable on the next check', async () => {
    const { token } = await c.tessera.sessions.create(alice, false, CLIENT);
    expect((await c.tessera.sessions.validate(token)).user.role).toBe('user');
    await c.tessera.users.update(alice.id, { role: 'admin' }, null);
    expect((await c.tessera.sessions.validate(token)).user.role).toBe('admin');
    await c.tessera.users.update(alice.id, { disabled: true }, null);
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_revoked');
  });
});

describe('session cap and tombstones', () => {
  it('evicts the oldest live session beyond the cap and reports it as revoked', async () => {
    const first = await c.tessera.sessions.create(alice, false, CLIENT);
    c.advance(SECOND);
    await c.tessera.sessions.create(alice, false, CLIENT);
    c.advance(SECOND);
    await c.tessera.sessions.create(alice, false, CLIENT);
    expect(await codeOf(c.tessera.sessions.validate(first.token))).toBe('session_revoked');
    expect(await c.tessera.sessions.list(alice.id)).toHaveLength(2);
  });

  it('keeps tombstones a day past the end, then forgets', async () => {
    const { token, session } = await c.tessera.sessions.create(alice, false, CLIENT);
    await c.tessera.sessions.revoke(session.id, 'logout', CLIENT);
    c.advance(DAY - SECOND);
    await c.tessera.purge();
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('session_revoked');
    c.advance(2 * SECOND);
    await c.tessera.purge();
    expect(await codeOf(c.tessera.sessions.validate(token))).toBe('unauthenticated');
  });
});
