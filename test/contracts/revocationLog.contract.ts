import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, RevocationEvent } from '../../src/core/model.js';
import type { Stores } from '../../src/core/ports.js';
import { T0, makeFamily, makeUser } from './fixtures.js';

export interface OpenedStores {
  stores: Stores;
  /** Stores on the same database, as another instance or the CLI would open them. */
  peer(): Promise<Stores>;
  close(): Promise<void>;
}

let serial = 0;
const credential = (at: number, kind: 'session' | 'family' = 'session'): RevocationEvent => ({
  type: 'credential',
  kind,
  sid: `sid-${++serial}`,
  userId: 'user-1',
  reason: 'logout',
  at,
});
const entry = (userId: string): AuditEntry => ({ at: T0, event: 'role_changed', userId, ip: null, userAgent: null, reason: null });

/**
 * The revocation log and the transaction that feeds it (the outbox): what every database adapter
 * promises, since the invariants of docs/architecture.md rest on it.
 */
export function revocationLogContract(name: string, open: () => Promise<OpenedStores>, options: { concurrentHandles: boolean }): void {
  describe(`RevocationLog and transact contract: ${name}`, () => {
    let opened: OpenedStores;
    let stores: Stores;
    beforeEach(async () => {
      opened = await open();
      stores = opened.stores;
    });
    afterEach(() => opened.close());

    it('commits rows, events and audit entries together, with ids in order, and returns the work’s value', async () => {
      const user = makeUser();
      await stores.users.createUser(user);
      const [e1, e2] = [credential(T0), { type: 'user', userId: user.id, at: T0, notBefore: 7 } as const];
      const committed = await stores.transact(async (tx) => {
        await tx.users.updateUser(user.id, { role: 'admin' });
        tx.publish(e1, false);
        tx.publish(e2, true);
        tx.audit(entry(user.id));
        return 'value';
      });
      expect(committed.value).toBe('value');
      expect(committed.logged.map((m) => m.event)).toEqual([e1, e2]);
      const [first, second] = committed.logged;
      expect(second!.id).toBeGreaterThan(first!.id);
      expect((await stores.users.findUserById(user.id))?.role).toBe('admin');
      expect(await stores.log.after(0, 10)).toEqual(committed.logged);
      expect(await stores.log.head()).toBe(second!.id);
      expect((await stores.audit.tail(1))[0]).toMatchObject({ event: 'role_changed', userId: user.id });
    });

    it('changes nothing when the work throws: no row, no event, no audit entry', async () => {
      const user = makeUser();
      await stores.users.createUser(user);
      const family = makeFamily({ userId: user.id });
      await stores.families.createFamily(family, 10, T0);
      const headBefore = await stores.log.head();
      const auditBefore = (await stores.audit.tail(100)).length;
      const failure = stores.transact(async (tx) => {
        await tx.users.updateUser(user.id, { role: 'admin', tokensNotBefore: 9 });
        await tx.families.revokeFamily(family.id, 'logout', T0);
        tx.publish(credential(T0, 'family'), false);
        tx.audit(entry(user.id));
        throw new Error('the request failed half way');
      });
      await expect(failure).rejects.toThrow('half way');
      expect(await stores.users.findUserById(user.id)).toEqual(user);
      expect((await stores.families.getFamily(family.id))?.revokedAt).toBeNull();
      expect(await stores.log.head()).toBe(headBefore);
      expect(await stores.audit.tail(100)).toHaveLength(auditBefore);
    });

    it('serialises transactions that read and change the same user (the later one sees the earlier)', async () => {
      const user = makeUser();
      await stores.users.createUser(user);
      // SQLite handles in one process would block each other's thread: one process has one handle (other processes: sqlite.test.ts).
      const peer = options.concurrentHandles ? await opened.peer() : stores;
      const bump = (on: Stores) =>
        on.transact(async (tx) => {
          const before = await tx.users.lockUser(user.id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.users.updateUser(user.id, { tokensNotBefore: (before?.tokensNotBefore ?? 0) + 1 });
        });
      await Promise.all([bump(stores), bump(peer), bump(stores), bump(peer)]);
      expect((await stores.users.findUserById(user.id))?.tokensNotBefore).toBe(4);
    });

    it('lists the events still owed until they are marked delivered, and replays by time', async () => {
      const old = credential(T0 - 5000);
      const recent = credential(T0);
      const { logged } = await stores.transact(async (tx) => {
        tx.publish(old, false);
        tx.publish({ type: 'user', userId: 'u', at: T0, notBefore: null }, true);
        tx.publish(recent, false);
      });
      expect((await stores.log.undelivered(T0 + 1, 10)).map((m) => m.event)).toEqual([old, recent]);
      expect((await stores.log.undelivered(T0, 10)).map((m) => m.event)).toEqual([old]);
      await stores.log.markDelivered([logged[0]!.id]);
      await stores.log.markDelivered([logged[0]!.id]);
      expect((await stores.log.undelivered(T0 + 1, 10)).map((m) => m.event)).toEqual([recent]);
      const head = await stores.log.head();
      expect((await stores.log.since(T0, head)).map((m) => m.id)).toEqual([logged[1]!.id, logged[2]!.id]);
      expect((await stores.log.after(logged[0]!.id, 1)).map((m) => m.id)).toEqual([logged[1]!.id]);
    });

    it('trims delivered events older than the bound, never one still owed', async () => {
      const { logged } = await stores.transact(async (tx) => {
        tx.publish(credential(T0 - 10_000), true);
        tx.publish(credential(T0 - 10_000), false);
        tx.publish(credential(T0), true);
      });
      await stores.log.trim(T0 - 1);
      expect((await stores.log.after(0, 10)).map((m) => m.id)).toEqual([logged[1]!.id, logged[2]!.id]);
      // A trimmed log never hands out an id again: followers reading "above the last id" would skip it.
      const { logged: later } = await stores.transact(async (tx) => tx.publish(credential(T0), true));
      expect(later[0]!.id).toBeGreaterThan(logged[2]!.id);
    });

    it('shows another handle’s commits to a follower reading above its last id', async () => {
      const peer = await opened.peer();
      const seen: number[] = [];
      let last = await stores.log.head();
      for (let round = 0; round < 5; round++) {
        const append = (s: Stores) => s.transact(async (tx) => tx.publish(credential(T0), true));
        if (options.concurrentHandles) await Promise.all([append(stores), append(peer)]);
        else for (const s of [stores, peer]) await append(s);
        for (const message of await stores.log.after(last, 100)) {
          seen.push(message.id);
          last = message.id;
        }
      }
      expect(seen).toHaveLength(10);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    });

    it('keeps the kind and reason of a credential event, and the not-before of a user event', async () => {
      const family = credential(T0, 'family');
      const user: RevocationEvent = { type: 'user', userId: 'u-9', at: T0, notBefore: 1234 };
      await stores.transact(async (tx) => {
        tx.publish(family, true);
        tx.publish(user, true);
      });
      expect((await stores.log.after(0, 10)).map((m) => m.event)).toEqual([family, user]);
    });
  });
}
