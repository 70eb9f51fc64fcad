import { ManualClock } from '../../src/core/clock.js';
import { MemoryAuditLog, MemoryEventBus, MemoryFamilyStore, MemoryKeyStore, MemoryLimiter, MemorySessionStore, MemoryUserStore } from '../../src/adapters/memory/index.js';
import { auditLogContract } from './auditLog.contract.js';
import { eventBusContract } from './eventBus.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { userStoreContract } from './userStore.contract.js';

const done = async (): Promise<void> => undefined;

userStoreContract('memory', async () => ({ store: new MemoryUserStore(), close: done }));
sessionStoreContract('memory', async () => ({ store: new MemorySessionStore(), close: done }));
familyStoreContract('memory', async () => ({ store: new MemoryFamilyStore(), close: done }));
keyStoreContract('memory', async () => ({ store: new MemoryKeyStore(), close: done }));
limiterContract('memory', async () => ({ limiter: new MemoryLimiter(), close: done }));
auditLogContract('memory', async () => ({ log: new MemoryAuditLog(), close: done }));

eventBusContract('memory', async () => {
  const bus = new MemoryEventBus(new ManualClock());
  const peers: MemoryEventBus[] = [];
  return {
    bus,
    peer: async () => {
      const peer = bus.peer();
      peers.push(peer);
      return peer;
    },
    close: async () => {
      for (const peer of peers) await peer.close();
      await bus.close();
    },
  };
});
