// Shared by the security benchmarks: a Tessera server from dist/ on a temporary SQLite file, on
// 127.0.0.1 only, and a small bounded HTTP client. Nothing here talks to any other address.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PASSWORD = 'correct horse battery staple';
export const WRONG = 'this is not the password, sorry';

/** A port that was free a moment ago, on loopback. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * One request with a hard time limit. Resolves { status, headers, body, ms }; a timeout resolves
 * status 0 with `timedOut`, a socket error status 0 with `error`, so that callers can count them.
 */
export function send(url, { method = 'GET', headers = {}, body, timeoutMs = 10_000, agent } = {}) {
  const started = performance.now();
  return new Promise((done) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', (error) => done({ status: 0, error: String(error), ms: performance.now() - started }));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      done({ status: 0, timedOut: true, ms: performance.now() - started });
    });
    req.on('error', (error) => done({ status: 0, error: String(error), ms: performance.now() - started }));
    req.end(payload);
  });
}

/**
 * Starts `node dist/cli/main.js serve` on a fresh SQLite file and a free loopback port, and waits for
 * /healthz. The caller must call stop(); the process is also killed if this process exits.
 */
export async function startServer(env = {}) {
  const main = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error('dist/cli/main.js is missing: build first with `npx tsc -p tsconfig.build.json`');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-security-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dbPath = join(dir, 'tessera.db');
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), main, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      TESSERA_HOST: '127.0.0.1',
      TESSERA_PORT: String(port),
      TESSERA_ISSUER: origin,
      TESSERA_DATABASE_URL: `sqlite:${dbPath}`,
      TESSERA_LOG_LEVEL: 'warn',
      // TESSERA_* settings of the bench's own environment reach the server (e.g. TESSERA_HASH_CONCURRENCY).
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('TESSERA_'))),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
    if (process.env.BENCH_SERVER_STDERR) process.stderr.write(chunk);
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (!exited) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) await sleep(50);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`the server exited at start: ${stderr.trim()}`);
    }
    const res = await send(`${origin}/healthz`, { timeoutMs: 1000 });
    if (res.status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not answer /healthz within 30 s: ${stderr.trim()}`);
    }
    await sleep(100);
  }
  return { origin, dbPath, stop, stderr: () => stderr };
}

/** A TEST-NET client address (RFC 5737) for X-Forwarded-For: only ever a header value, never a peer. */
export const clientAddress = (i) => `198.51.${100 + ((i >> 8) % 14)}.${i % 256}`;

/** Registers users through the API, each from its own forwarded address (30 registrations per address and hour). */
export async function registerUsers(origin, names, { concurrency = 4 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const res = await send(`${origin}/v1/users`, { method: 'POST', agent, body: { username: names[i], password: PASSWORD }, headers: { 'x-forwarded-for': `203.0.113.${i % 250}` }, timeoutMs: 30_000 });
      if (res.status !== 201) throw new Error(`registering ${names[i]}: ${res.status} ${res.body ?? res.error ?? ''}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile, p in 0..100. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const fmt = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(2)} ms` : 'n/a');

/** Reads a whole-number option from argv (`--name=value`) or the environment, within bounds. */
export function option(name, fallback, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  const raw = flag ? flag.slice(name.length + 3) : process.env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}
