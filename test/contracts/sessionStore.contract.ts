import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/model.js';
import type { SessionStore } from '../../src/core/ports.js';
import { credentialCases } from './credentialCases.js';
import { T0, makeSession } from './fixtures.js';

export function sessionStoreContract(name: string, open: () => Promise<{ store: SessionStore; close(): Promise<void> }>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    credentialCases<Session>(() => ({
      create: (record, cap, now) => store.createSession(record, cap, now),
      get: (id) => store.getSession(id),
      revoke: (id, reason, now) => store.revokeSession(id, reason, now),
      list: (userId, now) => store.listSessions(userId, now),
      purge: (before) => store.purgeSessions(before),
      make: makeSession,
    }));

    it('counts the sessions live at a time, of all users', async () => {
      const idle = 60_000;
      const a = makeSession({ userId: 'user-a', idleTimeoutMs: idle });
      const b = makeSession({ userId: 'user-b', idleTimeoutMs: idle });
      const c = makeSession({ userId: 'user-b', idleTimeoutMs: idle });
      for (const s of [a, b, c]) await store.createSession(s, 5, T0);
      expect(await store.countLiveSessions(T0)).toBe(3);
      await store.revokeSession(b.id, 'logout', T0 + 1);
      expect(await store.countLiveSessions(T0 + 1)).toBe(2);
      await store.touchSession(c.id, T0 + 30_000);
      // a's idle end has passed; c was used, so it lives on.
      expect(await store.countLiveSessions(T0 + idle)).toBe(1);
      expect(await store.countLiveSessions(T0 + 30_000 + idle)).toBe(0);
    });

    it('keeps the remember flag, the client and the secret digest', async () => {
      const session = makeSession({ remember: true, ip: '2001:db8::1', userAgent: 'Mozilla/5.0 (X11) ü' });
      await store.createSession(session, 5, T0);
      const stored = await store.getSession(session.id);
      expect(stored).toEqual(session);
      expect(Buffer.isBuffer(stored?.secretHash)).toBe(true);
    });

    it('records use, which moves the idle end', async () => {
      const session = makeSession({ idleTimeoutMs: 60_000 });
      await store.createSession(session, 5, T0);
      await store.touchSession(session.id, T0 + 50_000);
      expect(await store.getSession(session.id)).toEqual({ ...session, lastSeenAt: T0 + 50_000 });
      expect(await store.listSessions(session.userId, T0 + 100_000)).toEqual([{ ...session, lastSeenAt: T0 + 50_000 }]);
      expect(await store.listSessions(session.userId, T0 + 110_000)).toEqual([]);
    });

    it('does not record use on a revoked session, nor fail on an unknown one', async () => {
      const session = makeSession();
      await store.createSession(session, 5, T0);
      await store.revokeSession(session.id, 'logout', T0 + 1000);
      await store.touchSession(session.id, T0 + 2000);
      expect((await store.getSession(session.id))?.lastSeenAt).toBe(T0);
      await expect(store.touchSession('unknown-id-0000000000', T0)).resolves.toBeUndefined();
    });
  });
}
