import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { Stores } from '../../core/ports.js';
import { SqlAuditLog } from './audit.js';
import type { SqlContext, SqlDialect } from './dialect.js';
import { SqlEventBus } from './eventBus.js';
import { SqlFamilyStore } from './families.js';
import { SqlKeyStore } from './keys.js';
import { SqlLimiter } from './limiter.js';
import { migrate } from './migrate.js';
import type { Database } from './schema.js';
import { SqlSessionStore } from './sessions.js';
import { SqlUserStore } from './users.js';

export { type LockScope, type SqlContext, type SqlDialect, postgresDialect, sqliteDialect } from './dialect.js';
export { migrate, splitStatements } from './migrate.js';
export type { Database } from './schema.js';
export { SqlAuditLog, SqlEventBus, SqlFamilyStore, SqlKeyStore, SqlLimiter, SqlSessionStore, SqlUserStore };

export interface SqlStoresOptions {
  clock: Clock;
  pollIntervalMs?: number;
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
  const bus = new SqlEventBus(ctx, options);
  return {
    users: new SqlUserStore(ctx),
    sessions: new SqlSessionStore(ctx),
    families: new SqlFamilyStore(ctx),
    keys: new SqlKeyStore(ctx),
    limiter: new SqlLimiter(ctx),
    audit: new SqlAuditLog(ctx),
    bus,
    migrationsApplied,
    ping: () => sql`select 1`.execute(db).then(() => true, () => false),
    close: async () => {
      await bus.close();
      await db.destroy();
    },
  };
}
