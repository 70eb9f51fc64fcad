import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { verifyAuditChain } from '../../src/core/audit.js';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import type { Stores } from '../../src/core/ports.js';
import { auditLogContract } from './auditLog.contract.js';
import { familyStoreContract } from './familyStore.contract.js';
import { T0, makeSession } from './fixtures.js';
import { keyStoreContract } from './keyStore.contract.js';
import { limiterContract } from './limiter.contract.js';
import { revocationLogContract } from './revocationLog.contract.js';
import { sessionStoreContract } from './sessionStore.contract.js';
import { sqlAdapterCases } from './sqlAdapter.cases.js';
import { userStoreContract } from './userStore.contract.js';
import { lifecycleContract } from './lifecycle.contract.js';

/** A database file in a directory that does not exist yet; `remove` deletes it all. */
async function scratchFile(): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sqlite-'));
  return { file: join(dir, 'nested', 'tessera.db'), remove: () => rm(dir, { recursive: true, force: true }) };
}

const inMemory = (): Promise<Stores> => openSqliteStores(':memory:', { clock: new ManualClock() });

/** Stores on a scratch file, and more handles on it; one handle per process is the real set-up, several are for tests. */
async function onFile(): Promise<{ file: string; stores: Stores; peer(): Promise<Stores>; close(): Promise<void> }> {
  const scratch = await scratchFile();
  const open = (): Promise<Stores> => openSqliteStores(scratch.file, { clock: systemClock });
  const stores = await open();
  const opened = [stores];
  return {
    file: scratch.file,
    stores,
    peer: async () => {
      const peer = await open();
      opened.push(peer);
      return peer;
    },
    close: async () => {
      for (const s of opened) await s.close();
      await scratch.remove();
    },
  };
}

lifecycleContract('sqlite', async () => {
  const stores = await inMemory();
  return { stores, close: () => stores.close() };
});
userStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.users, close: () => stores.close() };
});
sessionStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.sessions, close: () => stores.close() };
});
familyStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.families, close: () => stores.close() };
});
keyStoreContract('sqlite', async () => {
  const stores = await inMemory();
  return { store: stores.keys, close: () => stores.close() };
});
limiterContract('sqlite', async () => {
  const stores = await inMemory();
  return { limiter: stores.limiter, close: () => stores.close() };
});

auditLogContract('sqlite', async () => {
  const { file, stores, close } = await onFile();
  return {
    log: stores.audit,
    close,
    tamper: async (seq) => {
      const raw = new BetterSqlite3(file);
      raw.prepare(`UPDATE audit_log SET reason = 'edited' WHERE seq = ?`).run(seq);
      raw.close();
    },
  };
});

revocationLogContract('sqlite', onFile, { concurrentHandles: false });

sqlAdapterCases('sqlite', async () => {
  const opened = await onFile();
  const raw = new BetterSqlite3(opened.file);
  raw.pragma('busy_timeout = 5000');
  return {
    ...opened,
    raw: async (query) => {
      const statement = raw.prepare(query);
      return statement.reader ? (statement.all() as Array<Record<string, unknown>>) : (statement.run(), []);
    },
    close: async () => {
      raw.close();
      await opened.close();
    },
  };
});

interface Writer {
  ready: Promise<void>;
  go(): void;
  /** Rounds written, once the process has exited cleanly. */
  done: Promise<number>;
}

/** Runs sqliteWriter.ts in a process of its own, as the CLI runs beside the server. */
function writerProcess(file: string, durationMs: number, userId: string, tag: string): Writer {
  const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
  const script = fileURLToPath(new URL('./sqliteWriter.ts', import.meta.url));
  const child = spawn(process.execPath, [viteNode, script, file, String(durationMs), userId, tag], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  let markReady = (): void => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Number(/rounds (\d+)/.exec(stdout)?.[1])) : reject(new Error(`writer ${tag} exited with ${code}: ${stderr}`))));
  });
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: () => child.stdin.write('go\n'), done };
}

describe('SQLite file handling', () => {
  it('creates the missing parent directory and opens the file in WAL mode', async () => {
    const { file, close } = await onFile();
    try {
      expect(existsSync(file)).toBe(true);
      const raw = new BetterSqlite3(file, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      await close();
    }
  });

  it('shares one database with other processes writing at the same time, without SQLITE_BUSY', async () => {
    const { file, stores, close } = await onFile();
    const userId = 'shared-user';
    const durationMs = 1000;
    const local = async (): Promise<number> => {
      let rounds = 0;
      for (const end = Date.now() + durationMs; Date.now() < end; rounds++) {
        await stores.audit.append({ at: T0 + rounds, event: 'logout', userId, ip: null, userAgent: 'parent', reason: null });
        await stores.sessions.createSession(makeSession({ userId, createdAt: T0 + rounds }), 5, T0 + rounds);
        await stores.limiter.hit('shared', 60_000, T0);
      }
      return rounds;
    };
    const writers = [writerProcess(file, durationMs, userId, 'child-a'), writerProcess(file, durationMs, userId, 'child-b')];
    try {
      // All three write at once, for a second each, so that their transactions collide.
      await Promise.all(writers.map((w) => w.ready));
      for (const w of writers) w.go();
      const rounds = await Promise.all([local(), ...writers.map((w) => w.done)]);
      const total = rounds.reduce((a, b) => a + b, 0);
      expect(Math.min(...rounds)).toBeGreaterThan(0);
      expect(await verifyAuditChain(stores.audit)).toEqual({ ok: true, entries: total });
      expect(await stores.sessions.listSessions(userId, T0 + 1000)).toHaveLength(total);
      expect((await stores.limiter.peek('shared', T0))?.count).toBe(total);
      const tags = (await stores.log.after(0, 100)).map((m) => m.event.userId);
      expect(tags).toEqual(expect.arrayContaining(['child-a', 'child-b']));
    } finally {
      await close();
    }
  }, 60_000);
});
