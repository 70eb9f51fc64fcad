import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainHash, verifyAuditChain } from '../../src/core/audit.js';
import type { AuditEntry } from '../../src/core/model.js';
import type { AuditLog } from '../../src/core/ports.js';
import { T0 } from './fixtures.js';

export interface OpenedAuditLog {
  log: AuditLog;
  close(): Promise<void>;
  /** Edits the stored row `seq` behind the log's back, as an attacker with database access would. */
  tamper?(seq: number): Promise<void>;
}

const entry = (i: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: T0 + i,
  event: 'login_success',
  userId: `user-${i}`,
  ip: '198.51.100.4',
  userAgent: 'contract-test/1.0',
  reason: null,
  ...overrides,
});

export function auditLogContract(name: string, open: () => Promise<OpenedAuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    let opened: OpenedAuditLog;
    let log: AuditLog;

    beforeEach(async () => {
      opened = await open();
      log = opened.log;
    });
    afterEach(() => opened.close());

    it('is empty and valid at first', async () => {
      expect(await log.read(0, 10)).toEqual([]);
      expect(await log.tail(10)).toEqual([]);
      expect(await verifyAuditChain(log)).toEqual({ ok: true, entries: 0 });
    });

    it('chains the first entry to the genesis hash and the next to it', async () => {
      const first = entry(1, { event: 'register', userId: null, ip: null, userAgent: null, reason: 'ünïcode ✓' });
      const second = entry(2, { event: 'key_rotated', reason: 'scheduled' });
      await log.append(first);
      await log.append(second);
      const [a, b] = await log.read(0, 10);
      expect(a).toEqual({ ...first, seq: a?.seq, hash: chainHash(GENESIS_HASH, a?.seq ?? 0, first) });
      expect(b).toEqual({ ...second, seq: b?.seq, hash: chainHash(a?.hash ?? '', b?.seq ?? 0, second) });
      expect(a?.seq).toBeGreaterThanOrEqual(1);
      expect(b?.seq).toBeGreaterThan(a?.seq ?? Infinity);
    });

    it('reads in pages after a sequence number, and nothing after the last', async () => {
      for (let i = 0; i < 7; i++) await log.append(entry(i));
      const all = await log.read(0, 100);
      expect(all.map((e) => e.at)).toEqual(Array.from({ length: 7 }, (_, i) => T0 + i));
      expect(await log.read(0, 3)).toEqual(all.slice(0, 3));
      expect(await log.read(all[2]?.seq ?? 0, 3)).toEqual(all.slice(3, 6));
      expect(await log.read(all[6]?.seq ?? 0, 3)).toEqual([]);
    });

    it('keeps one checkpoint per sequence number and gives the newest', async () => {
      expect(await log.latestCheckpoint()).toBeNull();
      await log.saveCheckpoint(5, T0, 'five');
      await log.saveCheckpoint(9, T0 + 1, 'nine');
      await log.saveCheckpoint(5, T0 + 2, 'five again');
      expect(await log.latestCheckpoint()).toEqual({ seq: 9, at: T0 + 1, file: 'nine' });
    });

    it('tails the last entries oldest first', async () => {
      for (let i = 0; i < 5; i++) await log.append(entry(i));
      const all = await log.read(0, 100);
      expect(await log.tail(2)).toEqual(all.slice(3));
      expect(await log.tail(50)).toEqual(all);
    });

    it('keeps one unbroken chain across many sequential and concurrent appends', async () => {
      for (let i = 0; i < 60; i++) await log.append(entry(i));
      await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(entry(100 + i, { event: 'login_failure' }))));
      expect(await verifyAuditChain(log, 7)).toEqual({ ok: true, entries: 100 });
      const seqs = (await log.read(0, 1000)).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(100);
    });

    it('shows a tampered row as the break in the chain', async (context) => {
      if (!opened.tamper) return context.skip();
      for (let i = 0; i < 5; i++) await log.append(entry(i));
      const third = (await log.read(0, 10))[2];
      await opened.tamper(third?.seq ?? 0);
      expect(await verifyAuditChain(log)).toEqual({ ok: false, entries: 2, brokenAt: third?.seq });
    });
  });
}
