import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import type { EventBus, Stores } from '../../src/core/ports.js';
import { auditLogContract } from './auditLog.contract.js';
import { eventBusContract } from './eventBus.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { userStoreContract } from './userStore.contract.js';

/** A fresh database file in a directory of its own; `remove` deletes both. */
async function scratchFile(): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sqlite-'));
  return { file: join(dir, 'nested', 'tessera.db'), remove: () => rm(dir, { recursive: true, force: true }) };
}

const inMemory = (): Promise<Stores> => openSqliteStores(':memory:', { clock: new ManualClock() });

userStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.users, close: () => stores.close() };
});
sessionStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.sessions, close: () => stores.close() };
});
familyStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.families, close: () => stores.close() };
});
keyStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.keys, close: () => stores.close() };
});
limiterContract('sqlite', async () => {
  const stores = await inMemory();
  return { limiter: stores.limiter, close: () => stores.close() };
});

auditLogContract('sqlite', async () => {
  const scratch = await scratchFile();
  const stores = await openSqliteStores(scratch.file, { clock: new ManualClock() });
  return {
    log: stores.audit,
    close: async () => {
      await stores.close();
      await scratch.remove();
    },
    tamper: async (seq) => {
      const raw = new BetterSqlite3(scratch.file);
      raw.prepare(`UPDATE audit_log SET reason = 'edited' WHERE seq = ?`).run(seq);
      raw.close();
    },
  };
});

eventBusContract('sqlite', async () => {
  const scratch = await scratchFile();
  const open = (): Promise<Stores> => openSqliteStores(scratch.file, { clock: systemClock, pollIntervalMs: 50 });
  const first = await open();
  const opened = [first];
  const peer = async (): Promise<EventBus> => {
    const stores = await open();
    opened.push(stores);
    return stores.bus;
  };
  return {
    bus: first.bus,
    peer,
    close: async () => {
      for (const stores of opened) await stores.close();
      await scratch.remove();
    },
  };
});
