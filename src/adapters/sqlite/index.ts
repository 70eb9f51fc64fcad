import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, SqliteDialect, type SqliteDatabase, type SqliteDialectConfig, SqliteDriver } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { Stores } from '../../core/ports.js';
import { type Database, openSqlStores, sqliteDialect } from '../sql/index.js';

const MIGRATIONS = new URL('../../../migrations/sqlite/', import.meta.url);

/**
 * BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads, then writes, can
 * meet another process's writer and fail with SQLITE_BUSY at once, busy_timeout or not.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * SQLite rolls a transaction back by itself after SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or
   * SQLITE_NOMEM; Kysely's ROLLBACK then fails with "no transaction is active" and that error would
   * replace the real cause (a full disk would read as SQLITE_ERROR). The transaction is gone either way.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch (error) {
      if (!(error instanceof Error && /no transaction is active/.test(error.message))) throw error;
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

const STATEMENT_CACHE_MAX = 256;

/**
 * Kysely prepares every query it runs, and better-sqlite3 compiles the SQL on every prepare (~7 % of
 * a login's main-thread time in a CPU profile, issue 6). The queries are a small set of SQL texts, so each is
 * compiled once, in a bounded cache. Reuse is safe: the connection is one, and nothing streams (a
 * statement held open by an iterator cannot run again until it is done).
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_MAX) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

export interface SqliteStoresOptions {
  clock: Clock;
}

/** Opens (creating if need be) the SQLite file at `path`, or ':memory:', migrates it and builds every port on it. */
export async function openSqliteStores(path: string, options: SqliteStoresOptions): Promise<Stores> {
  if (path !== ':memory:') await mkdir(dirname(resolve(path)), { recursive: true });
  // synchronous stays FULL (the default): an acknowledged revocation must survive a power cut.
  const database = new BetterSqlite3(path);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }) });
  return openSqlStores(db, sqliteDialect, MIGRATIONS, options);
}
