import { ManualClock } from '../../src/core/clock.js';
import { MemoryAuditLog, MemoryFamilyStore, MemoryKeyStore, MemoryLimiter, MemorySessionStore, MemoryUserStore, createMemoryStores, memoryDatabase } from '../../src/adapters/memory/index.js';
import { auditLogContract } from './auditLog.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { revocationLogContract } from './revocationLog.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { userStoreContract } from './userStore.contract.js';
import { lifecycleContract } from './lifecycle.contract.js';

const done = async (): Promise<void> => undefined;

userStoreContract('memory', async () => ({ store: new MemoryUserStore(), close: done }));
sessionStoreContract('memory', async () => ({ store: new MemorySessionStore(), close: done }));
familyStoreContract('memory', async () => ({ store: new MemoryFamilyStore(), close: done }));
keyStoreContract('memory', async () => ({ store: new MemoryKeyStore(), close: done }));
limiterContract('memory', async () => ({ limiter: new MemoryLimiter(), close: done }));
auditLogContract('memory', async () => ({ log: new MemoryAuditLog(), close: done }));
lifecycleContract('memory', async () => ({ stores: createMemoryStores({ clock: new ManualClock() }), close: done }));

revocationLogContract('memory', async () => {
  const clock = new ManualClock();
  const db = memoryDatabase();
  return { stores: createMemoryStores({ clock, db }), peer: async () => createMemoryStores({ clock, db }), close: done };
}, { concurrentHandles: true });
