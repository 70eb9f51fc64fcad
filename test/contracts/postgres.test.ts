import { describe } from 'vitest';
import pg from 'pg';
import { dropPostgresSchema, openPostgresStores } from '../../src/adapters/postgres/index.js';
import { type Clock, ManualClock, systemClock } from '../../src/core/clock.js';
import type { EventBus, Stores } from '../../src/core/ports.js';
import { POSTGRES_URL, serviceAvailable, uniqueName } from '../support/services.js';
import { auditLogContract } from './auditLog.contract.js';
import { eventBusContract } from './eventBus.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { userStoreContract } from './userStore.contract.js';

const available = await serviceAvailable('postgres');

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
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`UPDATE ${schema}.audit_log SET reason = 'edited' WHERE seq = $1`, [seq]);
        await client.end();
      },
    };
  });

  eventBusContract('postgres', async () => {
    const { stores, schema, close } = await openIsolated(systemClock);
    const peers: Stores[] = [];
    const peer = async (): Promise<EventBus> => {
      const other = await openPostgresStores(POSTGRES_URL, { clock: systemClock, schema, pollIntervalMs: 50 });
      peers.push(other);
      return other.bus;
    };
    return {
      bus: stores.bus,
      peer,
      close: async () => {
        for (const other of peers) await other.close();
        await close();
      },
    };
  });
});
