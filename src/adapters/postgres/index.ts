import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import type { Stores } from '../../core/ports.js';
import { type Database, openSqlStores, postgresDialect } from '../sql/index.js';

const MIGRATIONS = new URL('../../../migrations/postgres/', import.meta.url);

/** Plain lower-case identifiers only, so that a schema name never needs quoting or escaping. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Times and sequence numbers are BIGINT; as epoch milliseconds they fit a JavaScript number exactly. */
const types: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)),
};

export interface PostgresStoresOptions {
  clock: Clock;
  /** A schema of its own (created when missing) on every pooled connection; for test isolation. */
  schema?: string;
  poolSize?: number;
}

function checkedSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  return schema;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** CREATE SCHEMA IF NOT EXISTS still fails when two sessions race to create one: serialise them. */
async function createSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('tessera:create-schema'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Connects a pool to `url`, migrates the database (or `schema`) and builds every port on it. */
export async function openPostgresStores(url: string, options: PostgresStoresOptions): Promise<Stores> {
  const schema = options.schema === undefined ? undefined : checkedSchema(options.schema);
  if (schema) await withClient(url, (client) => createSchema(client, schema));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection is replaced on the next checkout; the error is not fatal.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return openSqlStores(db, postgresDialect, MIGRATIONS, options);
}

/** Drops a schema made by `openPostgresStores({ schema })`, with everything in it; for test cleanup. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const name = checkedSchema(schema);
  await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
}
