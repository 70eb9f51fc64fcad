import type { Session, TokenFamily } from '../../core/model.js';

type Credential = Session | TokenFamily;

const copy = <T extends Credential>(record: T): T => ({ ...record, secretHash: Buffer.from(record.secretHash) });

const byAge = (a: Credential, b: Credential): number =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What sessions and token families share in memory: cap, tombstones, live lists, purge. */
export class MemoryCredentials<T extends Credential> {
  readonly #records = new Map<string, T>();
  readonly #idleEnd: (record: T) => number;
  readonly #end: (record: T) => number;

  constructor(idleEnd: (record: T) => number, end: (record: T) => number) {
    this.#idleEnd = idleEnd;
    this.#end = end;
  }

  /** Inserts the record; returns the ids of the owner's oldest live others beyond `cap`. */
  create(record: T, cap: number, now: number): string[] {
    this.#records.set(record.id, copy(record));
    const others = this.#live(record.userId, now).filter((r) => r.id !== record.id);
    return others.slice(0, Math.max(0, others.length + 1 - cap)).map((r) => r.id);
  }

  snapshot(): Map<string, T> {
    return new Map(this.#records);
  }

  restore(snapshot: Map<string, T>): void {
    this.#records.clear();
    for (const [id, record] of snapshot) this.#records.set(id, record);
  }

  get(id: string): T | null {
    const record = this.#records.get(id);
    return record ? copy(record) : null;
  }

  /** Replaces a record that is not revoked with `change(record)`; returns the new record or null. */
  update(id: string, change: (record: T) => T | null): T | null {
    const record = this.#records.get(id);
    if (!record || record.revokedAt !== null) return null;
    const next = change(record);
    if (next) this.#records.set(id, next);
    return next ? copy(next) : null;
  }

  revoke(id: string, reason: string, now: number): T | null {
    const before = this.#records.get(id);
    if (!before || before.revokedAt !== null) return null;
    this.#records.set(id, { ...before, revokedAt: now, revokeReason: reason });
    return copy(before);
  }

  list(userId: string, now: number): T[] {
    return this.#live(userId, now).map(copy);
  }

  countLive(now: number): number {
    let count = 0;
    for (const r of this.#records.values()) if (r.revokedAt === null && r.expiresAt > now && this.#idleEnd(r) > now) count++;
    return count;
  }

  purge(before: number): number {
    let purged = 0;
    for (const [id, record] of this.#records) {
      if (this.#end(record) < before && this.#records.delete(id)) purged++;
    }
    return purged;
  }

  #live(userId: string, now: number): T[] {
    return [...this.#records.values()]
      .filter((r) => r.userId === userId && r.revokedAt === null && r.expiresAt > now && this.#idleEnd(r) > now)
      .sort(byAge);
  }
}
