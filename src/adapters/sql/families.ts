import type { TokenFamily } from '../../core/model.js';
import type { FamilyStore } from '../../core/ports.js';
import { live, overCap, purgeEnded } from './credentials.js';
import { type SqlContext, exclusive } from './dialect.js';
import { familyFromRow, familyToRow } from './rows.js';

export class SqlFamilyStore implements FamilyStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  createFamily(family: TokenFamily, cap: number, now: number): Promise<string[]> {
    // Serialised per user, so that concurrent logins agree on who is over the cap.
    return exclusive(this.#ctx, 'families', family.userId, async (trx) => {
      await trx.insertInto('families').values(familyToRow(family)).execute();
      return overCap(trx, 'families', family, cap, now);
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
      .where(live('families', now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(familyFromRow);
  }

  purgeFamilies(before: number): Promise<number> {
    return purgeEnded(this.#ctx.db, 'families', before);
  }
}
