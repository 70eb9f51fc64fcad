import type { Clock } from '../../core/clock.js';
import type { Stores } from '../../core/ports.js';
import { MemoryAuditLog } from './audit.js';
import { MemoryEventBus, MemoryFeed } from './eventBus.js';
import { MemoryFamilyStore } from './families.js';
import { MemoryKeyStore } from './keys.js';
import { MemoryLimiter } from './limiter.js';
import { MemorySessionStore } from './sessions.js';
import { MemoryUserStore } from './users.js';

export { MemoryAuditLog, MemoryEventBus, MemoryFamilyStore, MemoryFeed, MemoryKeyStore, MemoryLimiter, MemorySessionStore, MemoryUserStore };

export interface MemoryStores extends Stores {
  bus: MemoryEventBus;
}

/** Every port in memory, for tests: same answers as the SQL stores, no I/O. */
export function createMemoryStores(options: { clock: Clock; feed?: MemoryFeed }): MemoryStores {
  const bus = new MemoryEventBus(options.clock, options.feed);
  return {
    users: new MemoryUserStore(),
    sessions: new MemorySessionStore(),
    families: new MemoryFamilyStore(),
    keys: new MemoryKeyStore(),
    limiter: new MemoryLimiter(),
    audit: new MemoryAuditLog(),
    bus,
    ping: async () => true,
    close: () => bus.close(),
  };
}
