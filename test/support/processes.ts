import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Processes started by a test, each bounded in time and always stopped. */

export const ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Test ports come from 20000–32767: above that is the ephemeral range, where loopback clients hold ports. */
const PORT_LOW = 20_000;
const PORT_SPAN = 12_768;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port below the ephemeral range that nothing listens on now. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * PORT_SPAN);
    if (await bindable(port)) return port;
  }
  throw new Error('no free test port in 20000-32767');
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `${prefix}-`));

/** Polls `check` until it returns true or `ms` pass; resolves with the time it took, or rejects. */
export async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const start = Date.now();
  let last: unknown = null;
  while (Date.now() - start < ms) {
    try {
      if (await check()) return Date.now() - start;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a process; its output is kept for failure messages, and it dies with the test. */
export function start(command: string, args: string[], env: Record<string, string>): Started {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `tessera serve` from dist/ (on env's TESSERA_PORT, else a free port) and waits for /healthz. */
export async function startServer(env: Record<string, string>): Promise<Started & { url: string }> {
  const port = env.TESSERA_PORT ? Number(env.TESSERA_PORT) : await freePort();
  const server = start('node', [CLI, 'serve'], { TESSERA_PORT: String(port), TESSERA_LOG_LEVEL: 'warn', ...env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await within(20_000, async () => (await fetch(`${url}/healthz`)).ok, `server on ${port}`);
  } catch (error) {
    await server.stop('SIGKILL');
    throw new Error(`${String(error)}\n${server.output()}`);
  }
  return { ...server, url };
}

/** A redis-server of the test's own, so that fault cases never touch the shared one. */
export async function startRedis(dir: string, port?: number): Promise<Started & { url: string; port: number }> {
  const p = port ?? (await freePort());
  const redis = start('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], {});
  await within(10_000, async () => {
    const { Socket } = await import('node:net');
    return new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('error', () => resolve(false));
      socket.connect(p, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
    });
  }, `redis-server on ${p}`);
  return { ...redis, url: `redis://127.0.0.1:${p}`, port: p };
}
