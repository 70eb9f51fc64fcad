import { GENESIS_HASH, chainHash } from '../../core/audit.js';
import type { AuditEntry, StoredAuditEntry } from '../../core/model.js';
import type { AuditLog } from '../../core/ports.js';
import { type SqlContext, exclusive } from './dialect.js';
import { auditFromRow, auditToRow } from './rows.js';

/** Append-only: this class has no path that updates or deletes a row. */
export class SqlAuditLog implements AuditLog {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  append(entry: AuditEntry): Promise<void> {
    // Serialised across processes: two appends reading the same predecessor would fork the chain.
    return exclusive(this.#ctx, 'audit', 'audit_log', async (trx) => {
      const last = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const seq = (last?.seq ?? 0) + 1;
      await trx.insertInto('audit_log').values(auditToRow(entry, seq, chainHash(last?.hash ?? GENESIS_HASH, seq, entry))).execute();
    });
  }

  async read(after: number, limit: number): Promise<StoredAuditEntry[]> {
    const rows = await this.#ctx.db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
    return rows.map(auditFromRow);
  }

  async saveCheckpoint(seq: number, at: number, file: string): Promise<void> {
    await this.#ctx.db.insertInto('audit_checkpoints').values({ seq, at, file }).onConflict((oc) => oc.column('seq').doNothing()).execute();
  }

  async latestCheckpoint(): Promise<{ seq: number; at: number; file: string } | null> {
    const row = await this.#ctx.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row ? { seq: Number(row.seq), at: Number(row.at), file: row.file } : null;
  }

  async tail(limit: number): Promise<StoredAuditEntry[]> {
    const rows = await this.#ctx.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(limit).execute();
    return rows.reverse().map(auditFromRow);
  }
}
