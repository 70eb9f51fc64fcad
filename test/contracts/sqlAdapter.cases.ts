import { describe, expect, it } from 'vitest';
import type { FeedMessage } from '../../src/core/model.js';
import type { Stores, Subscription } from '../../src/core/ports.js';
import { waitFor } from './fixtures.js';

export interface OpenedSqlStores {
  stores: Stores;
  /** Stores on the same database, as another instance or the CLI would open them. */
  peer(): Promise<Stores>;
  /** Runs SQL behind the stores' back. */
  raw(query: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/** What only the SQL adapters promise beyond the port contracts: migrations, ping, the feed's failure modes. */
export function sqlAdapterCases(name: string, open: () => Promise<OpenedSqlStores>): void {
  describe(`SQL adapter: ${name}`, () => {
    it('records each migration once, however often the database is opened', async () => {
      const opened = await open();
      try {
        await (await opened.peer()).close();
        expect(await opened.raw('SELECT name FROM tessera_migrations')).toEqual([{ name: '001_init.sql' }]);
      } finally {
        await opened.close();
      }
    });

    it('answers ping while open and not after close', async () => {
      const opened = await open();
      const peer = await opened.peer();
      expect(await peer.ping()).toBe(true);
      await peer.close();
      expect(await peer.ping()).toBe(false);
      await opened.close();
    });

    it('rejects a publish that cannot be stored, and sends no heartbeat while the log is unreadable', async () => {
      const opened = await open();
      const beats: number[] = [];
      const messages: FeedMessage[] = [];
      const subscription: Subscription = opened.stores.bus.subscribe(
        { onEvent: (m) => messages.push(m), onHeartbeat: (at) => beats.push(at) },
        { sinceTime: Date.now() },
      );
      try {
        await waitFor(() => beats.length > 0, 3000, 'the first heartbeat');
        await opened.raw('ALTER TABLE revocations RENAME TO revocations_away');
        const event = { type: 'credential', sid: 'sid-outage', userId: 'u', at: Date.now() } as const;
        await expect(opened.stores.bus.publish(event)).rejects.toThrow();
        await new Promise((resolve) => setTimeout(resolve, 150));
        const silentFrom = beats.length;
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect(beats.length).toBe(silentFrom);
        await opened.raw('ALTER TABLE revocations_away RENAME TO revocations');
        await (await opened.peer()).bus.publish(event);
        await waitFor(() => beats.length > silentFrom && messages.some((m) => m.event.type === 'credential' && m.event.sid === 'sid-outage'), 3000, 'recovery');
      } finally {
        await subscription.close();
        await opened.close();
      }
    });

    it('trims events older than a day', async () => {
      const opened = await open();
      const peer = await opened.peer();
      await peer.bus.publish({ type: 'user', userId: 'old', at: Date.now() - 2 * DAY, notBefore: null });
      await peer.bus.publish({ type: 'user', userId: 'recent', at: Date.now(), notBefore: null });
      const subscription = opened.stores.bus.subscribe({ onEvent: () => undefined, onHeartbeat: () => undefined }, { cursor: '0' });
      const count = async (): Promise<number> => Number((await opened.raw('SELECT count(*) AS n FROM revocations'))[0]?.n);
      try {
        const deadline = Date.now() + 3000;
        while ((await count()) > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await opened.raw('SELECT user_id FROM revocations')).toEqual([{ user_id: 'recent' }]);
      } finally {
        await subscription.close();
        await opened.close();
      }
    });
  });
}
