import type { FeedMessage, RevocationEvent } from '../../core/model.js';
import { type SqlContext, exclusive } from './dialect.js';
import { eventToRow, messageFromRow } from './rows.js';

export interface Positioned {
  seq: number;
  message: FeedMessage;
}

const PAGE = 500;

const positioned = (message: FeedMessage): Positioned => ({ seq: Number(message.cursor), message });

/** The revocation log's queries. Rows are committed in `seq` order, so following `seq > last` misses nothing. */
export class SqlFeed {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** Stores the event; returns its position. */
  insert(event: RevocationEvent): Promise<number> {
    // Serialised (PostgreSQL: an advisory lock; SQLite: the write lock) so that a lower seq never commits after a higher one.
    return exclusive(this.#ctx, 'revocations', 'feed', async (trx) => {
      const row = await trx.insertInto('revocations').values(eventToRow(event)).returning('seq').executeTakeFirstOrThrow();
      return Number(row.seq);
    });
  }

  /** The highest position so far; 0 for an empty log. */
  async head(): Promise<number> {
    const row = await this.#ctx.db
      .selectFrom('revocations')
      .select((eb) => eb.fn.max('seq').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  /** Events stamped at or after `sinceTime`, up to position `upTo`, in order. */
  async since(sinceTime: number, upTo: number): Promise<Positioned[]> {
    const rows = await this.#ctx.db
      .selectFrom('revocations')
      .selectAll()
      .where('at', '>=', sinceTime)
      .where('seq', '<=', upTo)
      .orderBy('seq')
      .execute();
    return rows.map(messageFromRow).map(positioned);
  }

  /** At most one page of events after position `after`, in order. */
  async after(after: number): Promise<Positioned[]> {
    const rows = await this.#ctx.db.selectFrom('revocations').selectAll().where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
    return rows.map(messageFromRow).map(positioned);
  }

  get pageSize(): number {
    return PAGE;
  }

  /** Deletes events stamped before `before`. */
  async trim(before: number): Promise<void> {
    await this.#ctx.db.deleteFrom('revocations').where('at', '<', before).execute();
  }
}
