import { MINUTE } from '../../core/clock.js';
import type { LimitState, Limiter } from '../../core/ports.js';
import type { SqlContext } from './dialect.js';

const SWEEP_EVERY_MS = 5 * MINUTE;

export class SqlLimiter implements Limiter {
  readonly #ctx: SqlContext;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async hit(key: string, windowMs: number, now: number): Promise<LimitState> {
    // One upsert: a hit at or after the window's end starts a new window, atomically in every dialect.
    const row = await this.#ctx.db
      .insertInto('rate_limits')
      .values({ key, hits: 1, window_start: now, window_end: now + windowMs, last_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => {
          const ended = eb('rate_limits.window_end', '<=', eb.ref('excluded.last_at'));
          return {
            hits: eb.case().when(ended).then(1).else(eb('rate_limits.hits', '+', 1)).end(),
            window_start: eb.case().when(ended).then(eb.ref('excluded.window_start')).else(eb.ref('rate_limits.window_start')).end(),
            window_end: eb.case().when(ended).then(eb.ref('excluded.window_end')).else(eb.ref('rate_limits.window_end')).end(),
            last_at: eb.ref('excluded.last_at'),
          };
        }),
      )
      .returning(['hits', 'window_start', 'last_at'])
      .executeTakeFirstOrThrow();
    await this.#sweep(now);
    return { count: row.hits, windowStart: row.window_start, lastAt: row.last_at };
  }

  async peek(key: string, now: number): Promise<LimitState | null> {
    const row = await this.#ctx.db
      .selectFrom('rate_limits')
      .select(['hits', 'window_start', 'last_at'])
      .where('key', '=', key)
      .where('window_end', '>', now)
      .executeTakeFirst();
    return row ? { count: row.hits, windowStart: row.window_start, lastAt: row.last_at } : null;
  }

  async reset(key: string): Promise<void> {
    await this.#ctx.db.deleteFrom('rate_limits').where('key', '=', key).execute();
  }

  /** Deletes ended windows now and then, so that keys seen once (an address, a name) do not pile up. */
  async #sweep(now: number): Promise<void> {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    await this.#ctx.db.deleteFrom('rate_limits').where('window_end', '<=', now).execute();
  }
}
