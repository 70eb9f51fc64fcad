import type { Session } from '../../core/model.js';
import type { SessionStore } from '../../core/ports.js';
import { live, overCap, purgeEnded } from './credentials.js';
import { type SqlContext, exclusive } from './dialect.js';
import { sessionFromRow, sessionToRow } from './rows.js';

export class SqlSessionStore implements SessionStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  createSession(session: Session, cap: number, now: number): Promise<string[]> {
    // Serialised per user, so that concurrent logins agree on who is over the cap.
    return exclusive(this.#ctx, 'sessions', session.userId, async (trx) => {
      await trx.insertInto('sessions').values(sessionToRow(session, this.#ctx.dialect)).execute();
      return overCap(trx, 'sessions', session, cap, now);
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
      .where(live('sessions', now))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(sessionFromRow);
  }

  async countLiveSessions(now: number): Promise<number> {
    const row = await this.#ctx.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number | string>().as('n')).where(live('sessions', now)).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  purgeSessions(before: number): Promise<number> {
    return purgeEnded(this.#ctx.db, 'sessions', before);
  }
}
