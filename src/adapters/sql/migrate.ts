import { readFile, readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { type SqlContext, exclusive } from './dialect.js';

const MIGRATION_FILE = /^\d{3}_[a-z0-9_]+\.sql$/;

/** Our migration files keep to one statement per line-ending semicolon, so a split needs no SQL parser. */
export function splitStatements(script: string): string[] {
  return script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;[ \t]*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/**
 * Applies the files `NNN_name.sql` of `directory` that `tessera_migrations` does not list, in name
 * order, in one transaction that no other migrating process overlaps. Returns the names applied.
 */
export async function migrate(ctx: SqlContext, directory: URL, clock: Clock): Promise<string[]> {
  const files = (await readdir(directory)).filter((name) => MIGRATION_FILE.test(name)).sort();
  const scripts = await Promise.all(files.map((name) => readFile(new URL(name, directory), 'utf8')));
  return exclusive(ctx, 'migrations', 'tessera_migrations', async (trx) => {
    await trx.schema
      .createTable('tessera_migrations')
      .ifNotExists()
      .addColumn('name', 'text', (column) => column.primaryKey())
      .addColumn('applied_at', 'bigint', (column) => column.notNull())
      .execute();
    const applied = new Set((await trx.selectFrom('tessera_migrations').select('name').execute()).map((row) => row.name));
    const pending = files.filter((name) => !applied.has(name));
    for (const name of pending) {
      for (const statement of splitStatements(scripts[files.indexOf(name)] ?? '')) await sql.raw(statement).execute(trx);
      await trx.insertInto('tessera_migrations').values({ name, applied_at: clock.now() }).execute();
    }
    return pending;
  });
}
