import { expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/crypto.js';
import type { Session, TokenFamily } from '../../src/core/model.js';
import { T0, ids } from './fixtures.js';

/** The behaviour sessions and token families share (cap, tombstones, live lists, purge), tested once for both ports. */
export interface CredentialPort<T extends Session | TokenFamily> {
  create(record: T, cap: number, now: number): Promise<string[]>;
  get(id: string): Promise<T | null>;
  revoke(id: string, reason: string, now: number): Promise<T | null>;
  list(userId: string, now: number): Promise<T[]>;
  purge(before: number): Promise<number>;
  /** A record whose idle window starts at `createdAt`. */
  make(overrides: Partial<T>): T;
}

const MIN = 60_000;

export function credentialCases<T extends Session | TokenFamily>(port: () => CredentialPort<T>): void {
  const userId = uuidv7(T0);
  const at = (minutes: number): number => T0 + minutes * MIN;
  const mk = (minutes: number, extra: Partial<T> = {}): T =>
    port().make({ userId, createdAt: at(minutes), expiresAt: at(minutes + 600), idleTimeoutMs: 60 * MIN, ...extra } as Partial<T>);

  it('stores a record and reads it back field for field', async () => {
    const record = mk(0);
    expect(await port().create(record, 10, at(0))).toEqual([]);
    expect(await port().get(record.id)).toEqual(record);
  });

  it('answers null for an unknown id', async () => {
    expect(await port().get('unknown-id-0000000000')).toBeNull();
  });

  it('reports the oldest live records beyond the cap, leaving their revocation to the caller', async () => {
    const [a, b, c] = [mk(0), mk(1), mk(2)];
    expect(await port().create(a, 2, at(0))).toEqual([]);
    expect(await port().create(b, 2, at(1))).toEqual([]);
    expect(await port().create(c, 2, at(2))).toEqual([a.id]);
    expect(await port().get(a.id)).toEqual(a);
    await port().revoke(a.id, 'evicted', at(2));
    expect(ids(await port().list(userId, at(2)))).toEqual([b.id, c.id]);
  });

  it('reports several at once when the cap shrinks, oldest first, never the new record', async () => {
    const records = [mk(0), mk(1), mk(2), mk(3)];
    for (const r of records) await port().create(r, 10, r.createdAt);
    const newest = mk(4);
    const over = await port().create(newest, 2, at(4));
    expect([...over].sort()).toEqual(ids(records.slice(0, 3)).sort());
    for (const id of over) await port().revoke(id, 'evicted', at(4));
    expect(ids(await port().list(userId, at(4)))).toEqual([records[3]?.id, newest.id]);
    const alone = mk(5);
    expect((await port().create(alone, 1, at(5))).sort()).toEqual([records[3]?.id, newest.id].sort());
  });

  it('counts only live records of the same user towards the cap', async () => {
    const expired = mk(0, { expiresAt: at(1) } as Partial<T>);
    const revoked = mk(1);
    const other = port().make({ userId: uuidv7(T0 + 1), createdAt: at(0), expiresAt: at(600) } as Partial<T>);
    for (const r of [expired, revoked, other]) await port().create(r, 5, r.createdAt);
    await port().revoke(revoked.id, 'logout', at(2));
    const live = mk(3);
    expect(await port().create(live, 1, at(3))).toEqual([]);
    expect((await port().get(revoked.id))?.revokeReason).toBe('logout');
    expect((await port().get(expired.id))?.revokedAt).toBeNull();
    expect(ids(await port().list(other.userId, at(3)))).toEqual([other.id]);
  });

  it('agrees under concurrent creates: revoking what they report leaves exactly the cap live', async () => {
    const records = Array.from({ length: 12 }, (_, i) => mk(i));
    const results = await Promise.all(records.map((r) => port().create(r, 3, at(20))));
    results.forEach((result, i) => expect(result).not.toContain(records[i]?.id));
    const over = new Set(results.flat());
    for (const id of over) await port().revoke(id, 'evicted', at(20));
    const live = await port().list(userId, at(20));
    expect(live).toHaveLength(3);
    expect([...over, ...ids(live)].sort()).toEqual(ids(records).sort());
  });

  it('revokes once: the first call returns the record as it was, later calls null', async () => {
    const record = mk(0);
    await port().create(record, 10, at(0));
    expect(await port().revoke(record.id, 'logout', at(5))).toEqual(record);
    expect(await port().get(record.id)).toEqual({ ...record, revokedAt: at(5), revokeReason: 'logout' });
    expect(await port().revoke(record.id, 'again', at(6))).toBeNull();
    expect(await port().get(record.id)).toEqual({ ...record, revokedAt: at(5), revokeReason: 'logout' });
    expect(await port().revoke('unknown-id-0000000000', 'logout', at(6))).toBeNull();
  });

  it('tombstones a record that has already expired', async () => {
    const record = mk(0, { expiresAt: at(1) } as Partial<T>);
    await port().create(record, 10, at(0));
    expect(await port().revoke(record.id, 'admin', at(30))).toEqual(record);
    expect((await port().get(record.id))?.revokedAt).toBe(at(30));
  });

  it('lists live records oldest first, ending exactly at the absolute and idle ends', async () => {
    const absolute = mk(0, { expiresAt: at(10) } as Partial<T>);
    const idle = mk(1, { idleTimeoutMs: 10 * MIN } as Partial<T>);
    const revoked = mk(2);
    const lasting = mk(3);
    for (const r of [lasting, revoked, idle, absolute]) await port().create(r, 10, at(3));
    await port().revoke(revoked.id, 'logout', at(4));
    expect(ids(await port().list(userId, at(4)))).toEqual([absolute.id, idle.id, lasting.id]);
    expect(ids(await port().list(userId, at(10) - 1))).toEqual([absolute.id, idle.id, lasting.id]);
    expect(ids(await port().list(userId, at(10)))).toEqual([idle.id, lasting.id]);
    expect(ids(await port().list(userId, at(11)))).toEqual([lasting.id]);
    expect(await port().list(uuidv7(T0 + 99), at(4))).toEqual([]);
  });

  it('lists nothing before a record of the user exists', async () => {
    expect(await port().list(userId, at(0))).toEqual([]);
  });

  it('purges records whose end is strictly before the bound, and only those', async () => {
    const expired = mk(0, { expiresAt: at(10) } as Partial<T>);
    const idle = mk(0, { idleTimeoutMs: 20 * MIN } as Partial<T>);
    const revoked = mk(0, { expiresAt: at(5) } as Partial<T>);
    const live = mk(0);
    for (const r of [expired, idle, revoked, live]) await port().create(r, 10, at(0));
    await port().revoke(revoked.id, 'logout', at(15));
    expect(await port().purge(at(10))).toBe(0);
    expect(await port().purge(at(10) + 1)).toBe(1);
    expect(await port().get(expired.id)).toBeNull();
    expect(await port().purge(at(15))).toBe(0);
    expect(await port().purge(at(20) + 1)).toBe(2);
    expect(await port().get(revoked.id)).toBeNull();
    expect(await port().get(idle.id)).toBeNull();
    expect(await port().get(live.id)).toEqual(live);
    expect(await port().purge(at(20) + 1)).toBe(0);
  });
}
