import type { ExpressionBuilder, Transaction } from 'kysely';
import type { Session } from '../../core/model.js';
import type { SessionStore } from '../../core/ports.js';
import { type SqlContext, exclusive } from './dialect.js';
import { sessionFromRow, sessionToRow } from './rows.js';
import type { Database } from './schema.js';

type Eb = ExpressionBuilder<Database, 'sessions'>;

const idleEnd = (eb: Eb) => eb('last_seen_at', '+', eb.ref('idle_timeout_ms'));

/** Neither revoked nor past either end at `now`. */
const live = (now: number) => (eb: Eb) =>
  eb.and([eb('revoked_at', 'is', null), eb('expires_at', '>', now), eb(idleEnd(eb), '>', now)]);

export class SqlSessionStore implements SessionStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  createSession(session: Session, cap: number, now: number): Promise<string[]> {
    // Serialised per user, so that concurrent logins never leave more than `cap` live.
    return exclusive(this.#ctx, 'sessions', session.userId, async (trx) => {
      await trx.insertInto('sessions').values(sessionToRow(session, this.#ctx.dialect)).execute();
      return this.#evict(trx, session, cap, now);
    });
  }

  async getSession(id: string): Promise<Session | null> {
    const row = await this.#ctx.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? sessionFromRow(row) : null;
  }

  async touchSession(id: string, lastSeenAt: number): Promise<void> {
    // Lazy touches from several instances may arrive out of order: use never moves back.
    await this.#ctx.db
      .updateTable('sessions')
      .set({ last_seen_at: lastSeenAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('last_seen_at', '<', lastSeenAt)
      .execute();
  }

  async revokeSession(id: string, reason: string, now: number): Promise<Session | null> {
    const row = await this.#ctx.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? { ...sessionFromRow(row), revokedAt: null, revokeReason: null } : null;
  }

  async listSessions(userId: string, now: number): Promise<Session[]> {
    const rows = await this.#ctx.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where(live(now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(sessionFromRow);
  }

  async purgeSessions(before: number): Promise<number> {
    const result = await this.#ctx.db
      .deleteFrom('sessions')
      .where((eb) =>
        eb.or([
          eb('revoked_at', '<', before),
          eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', '<', before), eb(idleEnd(eb), '<', before)])]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #evict(trx: Transaction<Database>, kept: Session, cap: number, now: number): Promise<string[]> {
    const others = await trx
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', kept.userId)
      .where('id', '!=', kept.id)
      .where(live(now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const evicted = others.slice(0, Math.max(0, others.length + 1 - cap)).map((row) => row.id);
    if (evicted.length === 0) return [];
    await trx.updateTable('sessions').set({ revoked_at: now, revoke_reason: 'evicted' }).where('id', 'in', evicted).execute();
    return evicted;
  }
}
