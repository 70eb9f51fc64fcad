import { describe, expect, it } from 'vitest';
import type { Stores } from '../../src/core/ports.js';
import { MIGRATIONS, T0, makeUser } from './fixtures.js';

export interface OpenedSqlStores {
  stores: Stores;
  /** Stores on the same database, as another instance or the CLI would open them. */
  peer(): Promise<Stores>;
  /** Runs SQL behind the stores' back. */
  raw(query: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** What only the SQL adapters promise beyond the port contracts: migrations, the write probe, the outbox's failure modes. */
export function sqlAdapterCases(name: string, open: () => Promise<OpenedSqlStores>): void {
  describe(`SQL adapter: ${name}`, () => {
    it('records each migration once, however often the database is opened', async () => {
      const opened = await open();
      try {
        await (await opened.peer()).close();
        expect(await opened.raw('SELECT name FROM tessera_migrations ORDER BY name')).toEqual(MIGRATIONS(name === 'sqlite' ? 'sqlite' : 'postgres').map((file) => ({ name: file })));
      } finally {
        await opened.close();
      }
    });

    it('probes with a write while open, and fails the probe after close', async () => {
      const opened = await open();
      const peer = await opened.peer();
      await expect(peer.probe()).resolves.toBeUndefined();
      expect(await opened.raw('SELECT id FROM tessera_probe')).toEqual([{ id: 1 }]);
      await peer.close();
      await expect(peer.probe()).rejects.toThrow();
      await opened.close();
    });

    it('rolls a state change back whole when its revocation cannot be logged', async () => {
      const opened = await open();
      try {
        const user = makeUser();
        await opened.stores.users.createUser(user);
        await opened.raw('ALTER TABLE revocations RENAME TO revocations_away');
        const change = opened.stores.transact(async (tx) => {
          await tx.users.updateUser(user.id, { role: 'admin', tokensNotBefore: 5 });
          tx.publish({ type: 'user', userId: user.id, at: T0, notBefore: 5 }, false);
        });
        await expect(change).rejects.toThrow();
        expect(await opened.stores.users.findUserById(user.id)).toEqual(user);
        await opened.raw('ALTER TABLE revocations_away RENAME TO revocations');
        await opened.stores.transact(async (tx) => {
          await tx.users.updateUser(user.id, { role: 'admin', tokensNotBefore: 5 });
          tx.publish({ type: 'user', userId: user.id, at: T0, notBefore: 5 }, false);
        });
        expect((await opened.stores.users.findUserById(user.id))?.role).toBe('admin');
        expect(await opened.stores.log.undelivered(T0 + 1, 10)).toHaveLength(1);
      } finally {
        await opened.close();
      }
    });
  });
}
