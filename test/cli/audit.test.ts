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
    expect(await ws.cli(['audit', 'verify'])).toMatchObject({ code: 0, stdout: 'audit log intact: 4 entries checked\n', stderr: '' });
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
});
