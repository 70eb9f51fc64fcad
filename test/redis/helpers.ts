import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../support/processes.js';
import { uniqueName } from '../support/services.js';

/** A key prefix for one test: every key it makes starts with it, and `deletePrefix` removes them. */
export const testPrefix = (): string => `${uniqueName('tessera_test')}:`;

/** A plain connection for looking behind the stores' back; it never retries, so a test fails fast. */
export function rawClient(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
}

/** SCAN MATCH treats `*?[]\` as pattern syntax; a prefix must match literally. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** Every key under `prefix`, found with SCAN (never KEYS). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix`; returns how many went. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  return keys.length;
}

async function waitUntilUp(url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = rawClient(url);
    probe.on('error', () => undefined);
    const pong = await probe.ping().catch(() => null);
    probe.disconnect();
    if (pong === 'PONG') return;
    if (Date.now() > deadline) throw new Error(`redis-server at ${url} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A redis-server of the test's own on a spare port, for tests that stop Redis: the machine's shared
 * Redis on 6379 is never touched. With `durable`, an append-only file fsynced on every write survives
 * a kill, as a production Redis with AOF would.
 */
export class ScratchRedis {
  readonly port: number;
  readonly url: string;
  readonly #dir: string;
  readonly #durable: boolean;
  #child: ChildProcess | null = null;

  private constructor(port: number, durable: boolean) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#durable = durable;
    this.#dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
  }

  static async start(options: { durable?: boolean } = {}): Promise<ScratchRedis> {
    const server = await ScratchRedis.reserve(options);
    await server.start();
    return server;
  }

  /** A server on a spare port that is not running yet: nothing listens until `start`. */
  static async reserve(options: { durable?: boolean } = {}): Promise<ScratchRedis> {
    return new ScratchRedis(await freePort(), options.durable ?? false);
  }

  async start(): Promise<void> {
    const persistence = this.#durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no', '--dir', this.#dir, ...persistence];
    this.#child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitUntilUp(this.url);
  }

  /** Kills the server at once (SIGKILL: no goodbye to clients) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, as with a hung host. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
