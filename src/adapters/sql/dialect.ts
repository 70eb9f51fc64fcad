import { type Kysely, type RawBuilder, type Transaction, sql } from 'kysely';
import type { Database } from './schema.js';

/** What must never interleave: the key narrows it (a user id), so unrelated writers do not wait. */
export type LockScope = 'sessions' | 'families' | 'audit' | 'revocations' | 'migrations';

/** The few ways the databases differ, declared once as data so that the queries stay shared. */
export interface SqlDialect {
  /** The folder under migrations/. */
  readonly name: 'sqlite' | 'postgres';
  /** How a boolean column is written. */
  readonly flag: (value: boolean) => boolean | number;
  /**
   * A statement that holds `scope`/`key` until the transaction ends; null where every write
   * transaction is exclusive already (SQLite's BEGIN IMMEDIATE takes the database write lock).
   */
  readonly lock: ((scope: LockScope, key: string) => RawBuilder<unknown>) | null;
  /** Whether `SELECT ... FOR UPDATE` exists; SQLite's write transactions lock the whole database anyway. */
  readonly rowLocks: boolean;
}

/** The first key of pg_advisory_xact_lock(int4, int4): one number per scope. */
const LOCK_SPACES: Record<LockScope, number> = { sessions: 1, families: 2, audit: 3, revocations: 4, migrations: 5 };

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  flag: (value) => (value ? 1 : 0),
  lock: null,
  rowLocks: false,
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  flag: (value) => value,
  lock: (scope, key) => sql`select pg_advisory_xact_lock(${LOCK_SPACES[scope]}::int4, hashtext(${key}))`,
  rowLocks: true,
};

export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
}

/**
 * Runs `work` in a transaction that no other writer of `scope`/`key` overlaps, in any process. Inside
 * a transaction already (`db` is one), it takes the lock there, held until that transaction ends.
 */
export function exclusive<T>(
  { db, dialect }: SqlContext,
  scope: LockScope,
  key: string,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const locked = async (trx: Transaction<Database>): Promise<T> => {
    if (dialect.lock) await dialect.lock(scope, key).execute(trx);
    return work(trx);
  };
  return db.isTransaction ? locked(db as Transaction<Database>) : db.transaction().execute(locked);
}
