import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { AuditEntry, RevocationEvent } from '../../core/model.js';
import type { Stores, Transaction } from '../../core/ports.js';
import { SqlAuditLog } from './audit.js';
import type { SqlContext, SqlDialect } from './dialect.js';
import { SqlFamilyStore } from './families.js';
import { SqlKeyStore } from './keys.js';
import { SqlLimiter } from './limiter.js';
import { SqlAccountTokens, SqlChallenges, SqlFactors, SqlMailQueue } from './lifecycle.js';
import { SqlRevocationLog } from './log.js';
import { migrate } from './migrate.js';
import type { Database } from './schema.js';
import { SqlSessionStore } from './sessions.js';
import { SqlUserStore } from './users.js';

export { type LockScope, type SqlContext, type SqlDialect, postgresDialect, sqliteDialect } from './dialect.js';
export { migrate, splitStatements } from './migrate.js';
export type { Database } from './schema.js';
export { SqlAuditLog, SqlFamilyStore, SqlKeyStore, SqlLimiter, SqlRevocationLog, SqlSessionStore, SqlUserStore };

export interface SqlStoresOptions {
  clock: Clock;
}

/** One transaction of a state change: its rows, then its log events, then its audit entries (one lock order). */
function transactor(ctx: SqlContext, log: SqlRevocationLog): Stores['transact'] {
  return (work) =>
    ctx.db.transaction().execute(async (trx) => {
      const inTx: SqlContext = { db: trx, dialect: ctx.dialect };
      const events: Array<{ event: RevocationEvent; delivered: boolean }> = [];
      const entries: AuditEntry[] = [];
      const tx: Transaction = {
        users: new SqlUserStore(inTx),
        families: new SqlFamilyStore(inTx),
        accountTokens: new SqlAccountTokens(inTx),
        factors: new SqlFactors(inTx),
        mail: new SqlMailQueue(inTx),
        publish: (event, delivered) => void events.push({ event, delivered }),
        audit: (entry) => void entries.push(entry),
      };
      const value = await work(tx);
      const logged = await log.append(trx, events);
      const audit = new SqlAuditLog(inTx);
      for (const entry of entries) await audit.append(entry);
      return { value, logged };
    });
}

/** Migrates the database, then builds every port on it. Destroys `db` when migration fails. */
export async function openSqlStores(db: Kysely<Database>, dialect: SqlDialect, migrations: URL, options: SqlStoresOptions): Promise<Stores> {
  const ctx: SqlContext = { db, dialect };
  let migrationsApplied: string[];
  try {
    migrationsApplied = await migrate(ctx, migrations, options.clock);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const log = new SqlRevocationLog(ctx);
  return {
    users: new SqlUserStore(ctx),
    sessions: new SqlSessionStore(ctx),
    families: new SqlFamilyStore(ctx),
    keys: new SqlKeyStore(ctx),
    limiter: new SqlLimiter(ctx),
    audit: new SqlAuditLog(ctx),
    log,
    accountTokens: new SqlAccountTokens(ctx),
    mail: new SqlMailQueue(ctx),
    factors: new SqlFactors(ctx),
    challenges: new SqlChallenges(ctx),
    bus: null,
    transact: transactor(ctx, log),
    migrationsApplied,
    probe: async () => {
      // A write, not a read: a full disk or a read-only database still answers SELECT 1.
      await db
        .insertInto('tessera_probe')
        .values({ id: 1, at: options.clock.now() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ at: options.clock.now() }))
        .execute();
    },
    close: () => db.destroy(),
  };
}
