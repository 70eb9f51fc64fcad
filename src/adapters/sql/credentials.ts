import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** What sessions and token families share in SQL: liveness, the per-user cap, purge. */

export type CredentialTable = 'sessions' | 'families';

/** The column the idle window runs from: last use for a session, last rotation for a family. */
const IDLE_START = { sessions: 'last_seen_at', families: 'rotated_at' } as const;

type Eb = ExpressionBuilder<Database, CredentialTable>;

const idleEnd = (table: CredentialTable, eb: Eb) => eb(IDLE_START[table], '+', eb.ref('idle_timeout_ms'));

/** Neither revoked nor past either end at `now`. */
export const live = (table: CredentialTable, now: number) => (eb: Eb) =>
  eb.and([eb('revoked_at', 'is', null), eb('expires_at', '>', now), eb(idleEnd(table, eb), '>', now)]);

/**
 * The user's oldest live records beyond `cap`, never `kept` itself. Call it inside a transaction that
 * holds the user's lock, right after inserting `kept`.
 */
export async function overCap(
  trx: Transaction<Database>,
  table: CredentialTable,
  kept: { id: string; userId: string },
  cap: number,
  now: number,
): Promise<string[]> {
  const others = await trx
    .selectFrom(table)
    .select('id')
    .where('user_id', '=', kept.userId)
    .where('id', '!=', kept.id)
    .where(live(table, now))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return others.slice(0, Math.max(0, others.length + 1 - cap)).map((row) => row.id);
}

/** Deletes records whose end (the tombstone, else the earlier of the two ends) is before `before`. */
export async function purgeEnded(db: Kysely<Database>, table: CredentialTable, before: number): Promise<number> {
  const result = await db
    .deleteFrom(table)
    .where((eb) =>
      eb.or([
        eb('revoked_at', '<', before),
        eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', '<', before), eb(idleEnd(table, eb), '<', before)])]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
