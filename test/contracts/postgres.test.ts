import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { dropPostgresSchema, openPostgresStores } from '../../src/adapters/postgres/index.js';
import { verifyAuditChain } from '../../src/core/audit.js';
import { type Clock, ManualClock, systemClock } from '../../src/core/clock.js';
import type { Stores } from '../../src/core/ports.js';
import { POSTGRES_URL, serviceAvailable, uniqueName } from '../support/services.js';
import { auditLogContract } from './auditLog.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { MIGRATIONS, T0, makeSession } from './fixtures.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { revocationLogContract } from './revocationLog.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { sqlAdapterCases } from './sqlAdapter.cases.js';
import { userStoreContract } from './userStore.contract.js';
import { lifecycleContract } from './lifecycle.contract.js';

const available = await serviceAvailable('postgres');

/** Runs one statement in `schema` behind the stores' back. */
async function rawQuery(schema: string, query: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(query)).rows;
  } finally {
    await client.end();
  }
}

/** Stores in a schema of their own; `close` drops it. */
async function openIsolated(clock: Clock = new ManualClock()): Promise<{ stores: Stores; schema: string; close(): Promise<void> }> {
  const schema = uniqueName('tessera').toLowerCase();
  const stores = await openPostgresStores(POSTGRES_URL, { clock, schema, poolSize: 12 });
  return {
    stores,
    schema,
    close: async () => {
      await stores.close();
      await dropPostgresSchema(POSTGRES_URL, schema);
    },
  };
}

describe.skipIf(!available)('postgres', () => {
  lifecycleContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { stores, close };
  });
  userStoreContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { store: stores.users, close };
  });
  sessionStoreContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { store: stores.sessions, close };
  });
  familyStoreContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { store: stores.families, close };
  });
  keyStoreContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { store: stores.keys, close };
  });
  limiterContract('postgres', async () => {
    const { stores, close } = await openIsolated();
    return { limiter: stores.limiter, close };
  });

  auditLogContract('postgres', async () => {
    const { stores, schema, close } = await openIsolated();
    return {
      log: stores.audit,
      close,
      tamper: async (seq) => {
        await rawQuery(schema, `UPDATE audit_log SET reason = 'edited' WHERE seq = ${Number(seq)}`);
      },
    };
  });

  /** The stores, and more pools on the same schema, as other instances or the CLI would open them. */
  async function withPeers(clock: Clock): Promise<{ stores: Stores; schema: string; peer(): Promise<Stores>; close(): Promise<void> }> {
    const { stores, schema, close } = await openIsolated(clock);
    const peers: Stores[] = [];
    return {
      stores,
      schema,
      peer: async () => {
        const other = await openPostgresStores(POSTGRES_URL, { clock, schema });
        peers.push(other);
        return other;
      },
      close: async () => {
        for (const other of peers) await other.close();
        await close();
      },
    };
  }

  revocationLogContract('postgres', () => withPeers(systemClock), { concurrentHandles: true });

  sqlAdapterCases('postgres', async () => {
    const opened = await withPeers(systemClock);
    return { ...opened, raw: (query) => rawQuery(opened.schema, query) };
  });

  describe('PostgreSQL across instances', () => {
    it('keeps one audit chain when two pools write at once', async () => {
      const { stores, peer, close } = await withPeers(new ManualClock());
      try {
        const other = await peer();
        const pick = (i: number): Stores => (i % 2 ? other : stores);
        await Promise.all(
          Array.from({ length: 40 }, (_, i) => pick(i).audit.append({ at: T0 + i, event: 'register', userId: null, ip: null, userAgent: null, reason: null })),
        );
        await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).sessions.createSession(makeSession({ userId: 'u1', createdAt: T0 + i }), 3, T0 + 100)));
        expect(await verifyAuditChain(stores.audit)).toEqual({ ok: true, entries: 40 });
        expect(await stores.sessions.listSessions('u1', T0 + 100)).toHaveLength(20);
      } finally {
        await close();
      }
    });

    it('migrates once when several instances open a fresh schema together', async () => {
      const schema = uniqueName('tessera').toLowerCase();
      const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgresStores(POSTGRES_URL, { clock: new ManualClock(), schema })));
      try {
        expect(await rawQuery(schema, 'SELECT name FROM tessera_migrations ORDER BY name')).toEqual(MIGRATIONS('postgres').map((name) => ({ name })));
      } finally {
        for (const stores of opened) await stores.close();
        await dropPostgresSchema(POSTGRES_URL, schema);
      }
    });
  });
});
