import { GENESIS_HASH, chainHash } from '../../core/audit.js';
import type { AuditEntry, StoredAuditEntry } from '../../core/model.js';
import type { AuditLog } from '../../core/ports.js';

export class MemoryAuditLog implements AuditLog {
  readonly #entries: StoredAuditEntry[] = [];
  readonly #checkpoints = new Map<number, { seq: number; at: number; file: string }>();

  async saveCheckpoint(seq: number, at: number, file: string): Promise<void> {
    if (!this.#checkpoints.has(seq)) this.#checkpoints.set(seq, { seq, at, file });
  }

  async latestCheckpoint(): Promise<{ seq: number; at: number; file: string } | null> {
    const seqs = [...this.#checkpoints.keys()];
    return seqs.length === 0 ? null : { ...this.#checkpoints.get(Math.max(...seqs))! };
  }

  async append(entry: AuditEntry): Promise<void> {
    const previous = this.#entries.at(-1);
    const seq = (previous?.seq ?? 0) + 1;
    const { at, event, userId, ip, userAgent, reason } = entry;
    this.#entries.push({ at, event, userId, ip, userAgent, reason, seq, hash: chainHash(previous?.hash ?? GENESIS_HASH, seq, entry) });
  }

  async read(after: number, limit: number): Promise<StoredAuditEntry[]> {
    return this.#entries.filter((e) => e.seq > after).slice(0, limit).map((e) => ({ ...e }));
  }

  async tail(limit: number): Promise<StoredAuditEntry[]> {
    return (limit > 0 ? this.#entries.slice(-limit) : []).map((e) => ({ ...e }));
  }
}
