import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { Stores } from '../../src/core/ports.js';
import { type TestApp, testApp } from '../support/app.js';
import { CLI, type Started, start, startServer, tempDir, within } from '../support/processes.js';
import { Faults, faultyStores } from './faultyStores.js';

/**
 * I4: readiness tells the truth about a store that cannot be written, and the answers name the store
 * and the real cause. On a small tmpfs where the test can mount one (root on Linux; CI is), a real
 * server fills it, and another starts on it mounted read-only. A file system going read-only under a
 * running server cannot be made here (Linux refuses to remount with files open for writing): its
 * errors are injected at the driver, as are a full disk's.
 */
const PASSWORD = 'correct horse battery staple';

/** Mounts a tmpfs of `size` at a new directory; null where this process may not mount. */
function tmpfs(size: string): string | null {
  const dir = tempDir('tessera-disk');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return null;
  }
}

const probe = tmpfs('1m');
if (probe) execFileSync('umount', [probe]);
else console.warn('\n!!! SKIPPING THE TMPFS DISK TESTS: this process cannot mount a tmpfs (root on Linux can). The injected-error test still runs.\n');

/** An error as better-sqlite3 raises it. */
const sqliteError = (code: string): Error => Object.assign(new Error(code === 'SQLITE_FULL' ? 'database or disk is full' : 'attempt to write a readonly database'), { code });

describe('a database that cannot be written', () => {
  let t: TestApp | null = null;
  const servers: Started[] = [];
  const mounts: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = null;
    for (const server of servers.splice(0)) await server.stop();
    for (const dir of mounts.splice(0)) {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['SQLITE_FULL', 'SQLITE_READONLY'])('answers 503 naming the store and %s, keeps /readyz at 503 while it lasts, and recovers without a restart', async (code) => {
    const faults = new Faults();
    let clock!: ManualClock;
    t = await testApp({}, async (c) => {
      clock = c;
      const stores: Stores = await openSqliteStores(':memory:', { clock: c });
      const faulty = faultyStores(stores, faults);
      return { ...faulty, probe: () => faults.write('probe', () => stores.probe()) };
    });
    await t.register('alice');
    faults.failWith(() => sqliteError(code));
    faults.arm(1, 'outage');
    const login = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } });
    expect(login.statusCode).toBe(503);
    expect(login.json().detail).toMatch(new RegExp(`^the [a-z ]+ is unavailable: .*\\(${code}\\)$`));
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', stores: 'failing' });
    expect(ready.json().failure).toContain(code);
    faults.disarm();
    clock.advance(5000);
    t.tessera.feedHeartbeat(clock.now());
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } })).statusCode).toBe(200);
  });

  describe.skipIf(!probe)('on a tmpfs', () => {
    async function serverOn(dir: string): Promise<Started & { url: string }> {
      const server = await startServer({ TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`, TESSERA_ISSUER: 'http://localhost' });
      servers.push(server);
      return server;
    }
    const call = async (url: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : null });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, string> | null };
    };

    /** Fills the file system at `dir`; returns the filler's path. */
    function fill(dir: string): string {
      const path = join(dir, 'filler');
      const fd = openSync(path, 'w');
      for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 8, 1]) {
        try {
          for (;;) writeSync(fd, Buffer.alloc(size));
        } catch {
          // ENOSPC: on to smaller pieces, down to the last byte.
        }
      }
      closeSync(fd);
      return path;
    }

    it('a full disk: 503 with SQLITE_FULL, /readyz 503, recovery once there is room, and an intact database', async () => {
      const dir = tmpfs('8m')!;
      mounts.push(dir);
      const server = await serverOn(dir);
      expect((await call(server.url, 'POST', '/v1/users', { username: 'alice', password: PASSWORD })).status).toBe(201);
      const filler = fill(dir);
      const seen = new Set<number>();
      let full: Record<string, string> | null = null;
      for (let i = 0; i < 200 && !full; i++) {
        const res = await call(server.url, 'POST', '/v1/session', { username: 'alice', password: PASSWORD });
        seen.add(res.status);
        if (res.status === 503) full = res.body;
      }
      expect([...seen].every((status) => status === 200 || status === 503)).toBe(true);
      expect(full?.detail).toMatch(/is unavailable: the disk is full \(SQLITE_FULL\)$/);
      const ready = await call(server.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body?.failure).toContain('SQLITE_FULL');
      await within(5_000, async () => server.output().includes('SQLITE_FULL'), 'the logged SQLITE_FULL');
      rmSync(filler);
      await within(15_000, async () => (await call(server.url, 'GET', '/readyz')).status === 200, 'ready again');
      expect((await call(server.url, 'POST', '/v1/session', { username: 'alice', password: PASSWORD })).status).toBe(200);
      await server.stop();
      const db = new BetterSqlite3(join(dir, 'tessera.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    }, 60_000);

    it('a start on a read-only file system says what to fix', async () => {
      const dir = tmpfs('1m')!;
      mounts.push(dir);
      mkdirSync(join(dir, 'data'));
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      const server = start('node', [CLI, 'serve'], { TESSERA_DATABASE_URL: `sqlite:${join(dir, 'data', 'tessera.db')}`, TESSERA_PORT: '0' });
      servers.push(server);
      await new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
      expect(server.child.exitCode).toBe(1);
      expect(server.output()).toMatch(/^tessera: cannot open the database sqlite:\S+: .+ \(SQLITE_CANTOPEN\); check that the database file and its directory exist and are writable/m);
    }, 30_000);
  });
});
