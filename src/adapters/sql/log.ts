import type { Transaction } from 'kysely';
import type { FeedMessage, RevocationEvent } from '../../core/model.js';
import type { RevocationLog } from '../../core/ports.js';
import { type SqlContext, exclusive } from './dialect.js';
import { eventToRow, messageFromRow } from './rows.js';
import type { Database } from './schema.js';

/**
 * The revocation log's table. Appends take the log's lock until their transaction commits (PostgreSQL:
 * an advisory lock; SQLite: the write lock), so ids become visible in order and a follower reading
 * "above the last id" never skips one that commits late.
 */
export class SqlRevocationLog implements RevocationLog {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** Appends inside `trx`, which must be the state change's own transaction; returns the events with their ids. */
  async append(trx: Transaction<Database>, events: ReadonlyArray<{ event: RevocationEvent; delivered: boolean }>): Promise<FeedMessage[]> {
    if (events.length === 0) return [];
    return exclusive({ db: trx, dialect: this.#ctx.dialect }, 'revocations', 'log', async (locked) => {
      const logged: FeedMessage[] = [];
      for (const { event, delivered } of events) {
        const row = await locked.insertInto('revocations').values(eventToRow(event, delivered, this.#ctx.dialect)).returning('seq').executeTakeFirstOrThrow();
        logged.push({ id: Number(row.seq), event });
      }
      return logged;
    });
  }

  async after(after: number, limit: number): Promise<FeedMessage[]> {
    const rows = await this.#ctx.db.selectFrom('revocations').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
    return rows.map(messageFromRow);
  }

  async head(): Promise<number> {
    const row = await this.#ctx.db
      .selectFrom('revocations')
      .select((eb) => eb.fn.max('seq').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  async since(sinceTime: number, upTo: number): Promise<FeedMessage[]> {
    const rows = await this.#ctx.db.selectFrom('revocations').selectAll().where('at', '>=', sinceTime).where('seq', '<=', upTo).orderBy('seq').execute();
    return rows.map(messageFromRow);
  }

  async undelivered(before: number, limit: number): Promise<FeedMessage[]> {
    const rows = await this.#ctx.db
      .selectFrom('revocations')
      .selectAll()
      .where('delivered', '=', this.#ctx.dialect.flag(false))
      .where('at', '<', before)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(messageFromRow);
  }

  async markDelivered(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#ctx.db.updateTable('revocations').set({ delivered: this.#ctx.dialect.flag(true) }).where('seq', 'in', [...ids]).execute();
  }

  async trim(before: number): Promise<void> {
    await this.#ctx.db.deleteFrom('revocations').where('at', '<', before).where('delivered', '=', this.#ctx.dialect.flag(true)).execute();
  }
}
