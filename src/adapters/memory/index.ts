import type { Clock } from '../../core/clock.js';
import type { AuditEntry, RevocationEvent } from '../../core/model.js';
import type { Stores } from '../../core/ports.js';
import { MemoryAuditLog } from './audit.js';
import { MemoryFamilyStore } from './families.js';
import { MemoryKeyStore } from './keys.js';
import { MemoryLimiter } from './limiter.js';
import { MemoryAccountTokens, MemoryChallenges, MemoryFactors, MemoryMailQueue } from './lifecycle.js';
import { MemoryRevocationLog } from './log.js';
import { MemorySessionStore } from './sessions.js';
import { MemoryUserStore } from './users.js';

export { MemoryAuditLog, MemoryFamilyStore, MemoryKeyStore, MemoryLimiter, MemoryRevocationLog, MemorySessionStore, MemoryUserStore };

/** What several instances of one simulated deployment share: the database's part (the Redis part is per test). */
export interface MemoryDatabase {
  users: MemoryUserStore;
  families: MemoryFamilyStore;
  sessions: MemorySessionStore;
  keys: MemoryKeyStore;
  limiter: MemoryLimiter;
  audit: MemoryAuditLog;
  log: MemoryRevocationLog;
  accountTokens: MemoryAccountTokens;
  mail: MemoryMailQueue;
  factors: MemoryFactors;
  challenges: MemoryChallenges;
  /** Serialises transactions, as a database's write lock would. */
  lock: Promise<unknown>;
}

export const memoryDatabase = (): MemoryDatabase => ({
  users: new MemoryUserStore(),
  families: new MemoryFamilyStore(),
  sessions: new MemorySessionStore(),
  keys: new MemoryKeyStore(),
  limiter: new MemoryLimiter(),
  audit: new MemoryAuditLog(),
  log: new MemoryRevocationLog(),
  accountTokens: new MemoryAccountTokens(),
  mail: new MemoryMailQueue(),
  factors: new MemoryFactors(),
  challenges: new MemoryChallenges(),
  lock: Promise.resolve(),
});

/**
 * A memory transaction: serialised with the others, and all or nothing: the users and families it
 * may change are snapshotted first and restored when the work fails. Events and audit entries are
 * appended only once the work has succeeded.
 */
function transactor(db: MemoryDatabase): Stores['transact'] {
  return (work) => {
    const run = async () => {
      const snapshot = {
        users: db.users.snapshot(),
        families: db.families.snapshot(),
        accountTokens: db.accountTokens.snapshot(),
        mail: db.mail.snapshot(),
        factors: db.factors.snapshot(),
      };
      const events: Array<{ event: RevocationEvent; delivered: boolean }> = [];
      const entries: AuditEntry[] = [];
      try {
        const value = await work({
          users: db.users,
          families: db.families,
          accountTokens: db.accountTokens,
          factors: db.factors,
          mail: db.mail,
          publish: (event, delivered) => void events.push({ event, delivered }),
          audit: (entry) => void entries.push(entry),
        });
        const logged = db.log.append(events);
        for (const entry of entries) await db.audit.append(entry);
        return { value, logged };
      } catch (error) {
        db.users.restore(snapshot.users);
        db.families.restore(snapshot.families);
        db.accountTokens.restore(snapshot.accountTokens);
        db.mail.restore(snapshot.mail);
        db.factors.restore(snapshot.factors);
        throw error;
      }
    };
    const result = db.lock.then(run, run);
    db.lock = result.catch(() => undefined);
    return result;
  };
}

export type MemoryStores = Stores & { db: MemoryDatabase };

/** Every port in memory, for tests: same answers as the SQL stores, no I/O. Pass `db` to share one between instances. */
export function createMemoryStores(options: { clock: Clock; db?: MemoryDatabase }): MemoryStores {
  const db = options.db ?? memoryDatabase();
  return {
    db,
    users: db.users,
    sessions: db.sessions,
    families: db.families,
    keys: db.keys,
    limiter: db.limiter,
    audit: db.audit,
    log: db.log,
    accountTokens: db.accountTokens,
    mail: db.mail,
    factors: db.factors,
    challenges: db.challenges,
    bus: null,
    transact: transactor(db),
    probe: async () => undefined,
    close: async () => undefined,
  };
}
