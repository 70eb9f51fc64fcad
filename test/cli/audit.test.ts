import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const ws = workspace();
beforeAll(async () => {
  expect((await ws.cli(['user', 'create', 'alice', '--role', 'admin', '--password-stdin'], PASSWORD)).code).toBe(0);
  expect((await ws.cli(['user', 'create', 'bob', '--password-stdin'], PASSWORD)).code).toBe(0);
  expect((await ws.cli(['user', 'role', 'bob', 'admin'])).code).toBe(0);
  expect((await ws.cli(['user', 'disable', 'bob'])).code).toBe(0);
});
afterAll(() => ws.remove());

describe('tessera audit', () => {
  it('tails the latest entries, one per line, oldest first, with names', async () => {
    const { code, stdout } = await ws.cli(['audit', 'tail', '-n', '3']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}#2 {2}register {2}user bob \([0-9a-f-]{36}\)$/);
    expect(lines[1]).toMatch(/ {2}#3 {2}role_changed {2}user bob \([0-9a-f-]{36}\) {2}- user -> admin$/);
    expect(lines[2]).toMatch(/ {2}#4 {2}user_disabled {2}user bob /);
    const all = await ws.cli(['audit', 'tail']);
    expect(all.stdout.split('\n')[0]).toMatch(/#1 {2}register {2}user alice \(.+\) {2}- role admin$/);
  });

  it('prints JSON with --json, never a hash or secret', async () => {
    const { stdout } = await ws.cli(['audit', 'tail', '-n', '1', '--json']);
    const { entries } = JSON.parse(stdout) as { entries: Array<Record<string, unknown>> };
    expect(entries).toEqual([{ seq: 4, at: expect.stringMatching(/Z$/), event: 'user_disabled', userId: expect.any(String), username: 'bob', ip: null, userAgent: null, reason: null }]);
    expect(stdout).not.toContain(PASSWORD);
  });

  it('verifies the chain, then names the first entry that was tampered with, exit 1', async () => {
    expect(await ws.cli(['audit', 'verify'])).toMatchObject({ code: 0, stdout: 'audit log intact: 4 entries checked, no checkpoint\n', stderr: '' });
    const db = new Database(ws.dbPath);
    try {
      db.prepare("UPDATE audit_log SET reason = 'user -> user' WHERE seq = 3").run();
    } finally {
      db.close();
    }
    const broken = await ws.cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr).toBe('tessera: audit log broken at seq 3: that entry, or one before it, was changed or deleted (2 entries before it check out)\n');
  });

  it('signs checkpoints that prove the newest entries were not removed, and refuses a forged one', async () => {
    const fresh = workspace();
    try {
      for (const name of ['carol', 'dave', 'erin']) expect((await fresh.cli(['user', 'create', name, '--password-stdin'], PASSWORD)).code).toBe(0);
      const file = join(fresh.dir, 'checkpoint.json');
      expect(await fresh.cli(['audit', 'checkpoint', '--out', file])).toMatchObject({ code: 0, stdout: `checkpoint written to ${file}\n` });
      const exported = JSON.parse(readFileSync(file, 'utf8')) as { checkpoint: string; jwk: { kid: string } };
      const [header, payload] = exported.checkpoint.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
      expect(header).toMatchObject({ typ: 'audit-checkpoint+jwt', alg: 'EdDSA', kid: exported.jwk.kid });
      expect(payload).toMatchObject({ seq: 3, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const ok = await fresh.cli(['audit', 'verify', '--checkpoint', file]);
      expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log intact: 3 entries checked, up to the checkpoint of entry 3 \(\S+Z\)\n$/) });

      // The newest entry goes, and the kept checkpoints with it: the chain alone still checks out,
      // but the exported checkpoint proves the truncation.
      const db = new Database(fresh.dbPath);
      try {
        db.prepare('DELETE FROM audit_log WHERE seq = 3').run();
        db.prepare('DELETE FROM audit_checkpoints').run();
      } finally {
        db.close();
      }
      expect(await fresh.cli(['audit', 'verify'])).toMatchObject({ code: 0, stdout: 'audit log intact: 2 entries checked, no checkpoint\n' });
      const truncated = await fresh.cli(['audit', 'verify', '--checkpoint', file]);
      expect(truncated).toMatchObject({ code: 1, stderr: 'tessera: audit log does not match the checkpoint: the log was truncated: the checkpoint names entry 3, and the log holds 2\n' });

      // A checkpoint whose claims were edited no longer verifies.
      const edited = { ...exported, checkpoint: [exported.checkpoint.split('.')[0], Buffer.from(JSON.stringify({ ...payload, seq: 2 })).toString('base64url'), exported.checkpoint.split('.')[2]].join('.') };
      writeFileSync(file, JSON.stringify(edited));
      const forged = await fresh.cli(['audit', 'verify', '--checkpoint', file]);
      expect(forged.code).toBe(1);
      expect(forged.stderr).toMatch(/not one this deployment signed/);
    } finally {
      fresh.remove();
    }
  });
});
