import type { ExpressionBuilder, Transaction } from 'kysely';
import type { TokenFamily } from '../../core/model.js';
import type { FamilyStore } from '../../core/ports.js';
import { type SqlContext, exclusive } from './dialect.js';
import { familyFromRow, familyToRow } from './rows.js';
import type { Database } from './schema.js';

type Eb = ExpressionBuilder<Database, 'families'>;

const idleEnd = (eb: Eb) => eb('rotated_at', '+', eb.ref('idle_timeout_ms'));

/** Neither revoked nor past either end at `now`. */
const live = (now: number) => (eb: Eb) =>
  eb.and([eb('revoked_at', 'is', null), eb('expires_at', '>', now), eb(idleEnd(eb), '>', now)]);

export class SqlFamilyStore implements FamilyStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  createFamily(family: TokenFamily, cap: number, now: number): Promise<string[]> {
    // Serialised per user, so that concurrent logins never leave more than `cap` live.
    return exclusive(this.#ctx, 'families', family.userId, async (trx) => {
      await trx.insertInto('families').values(familyToRow(family)).execute();
      return this.#evict(trx, family, cap, now);
    });
  }

  async getFamily(id: string): Promise<TokenFamily | null> {
    const row = await this.#ctx.db.selectFrom('families').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? familyFromRow(row) : null;
  }

  async rotateFamily(id: string, from: number, secretHash: Buffer, now: number): Promise<TokenFamily | null> {
    // One conditional update: of concurrent rotations from `from`, exactly one matches (refresh token spent once).
    const row = await this.#ctx.db
      .updateTable('families')
      .set({ generation: from + 1, secret_hash: secretHash, rotated_at: now })
      .where('id', '=', id)
      .where('generation', '=', from)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? familyFromRow(row) : null;
  }

  async revokeFamily(id: string, reason: string, now: number): Promise<TokenFamily | null> {
    const row = await this.#ctx.db
      .updateTable('families')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? { ...familyFromRow(row), revokedAt: null, revokeReason: null } : null;
  }

  async listFamilies(userId: string, now: number): Promise<TokenFamily[]> {
    const rows = await this.#ctx.db
      .selectFrom('families')
      .selectAll()
      .where('user_id', '=', userId)
      .where(live(now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(familyFromRow);
  }

  async purgeFamilies(before: number): Promise<number> {
    const result = await this.#ctx.db
      .deleteFrom('families')
      .where((eb) =>
        eb.or([
          eb('revoked_at', '<', before),
          eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', '<', before), eb(idleEnd(eb), '<', before)])]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #evict(trx: Transaction<Database>, kept: TokenFamily, cap: number, now: number): Promise<string[]> {
    const others = await trx
      .selectFrom('families')
      .select('id')
      .where('user_id', '=', kept.userId)
      .where('id', '!=', kept.id)
      .where(live(now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const evicted = others.slice(0, Math.max(0, others.length + 1 - cap)).map((row) => row.id);
    if (evicted.length === 0) return [];
    await trx.updateTable('families').set({ revoked_at: now, revoke_reason: 'evicted' }).where('id', 'in', evicted).execute();
    return evicted;
  }
}
