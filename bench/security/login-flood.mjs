// A login flood at 200 concurrent connections against a server on 127.0.0.1 (issue "Security
// hardening", "Done when"): only 200, 401, 429 or 503 may come back, with no timeout and no 500,
// while a separate connection measures GET /healthz (target: p99 < 50 ms). Bounded in time.
//
//   npx tsc -p tsconfig.build.json && node bench/security/login-flood.mjs [--seconds=15] [--target-seconds=10] [--connections=200]
//
// Phase 1 spreads the logins over many users and client addresses (X-Forwarded-For from a trusted
// proxy, TESSERA_TRUST_PROXY=127.0.0.1), half with the right password. Phase 2 aims every connection
// at one account with wrong passwords from ever-changing addresses: the per-account back-off must
// hold. Exits 1 on a forbidden status, a timeout or a socket error.
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { WRONG, PASSWORD, clientAddress, fmt, option, percentile, registerUsers, send, startServer } from './lib.mjs';

const seconds = option('seconds', 15, { min: 1, max: 120 });
const targetSeconds = option('target-seconds', 10, { min: 1, max: 120 });
const connections = option('connections', 200, { min: 1, max: 1000 });
const userCount = option('users', 200, { min: 1, max: 2000 });
const REQUEST_TIMEOUT_MS = 10_000;
const ALLOWED = new Set([200, 401, 429, 503]);

/**
 * GET /healthz from a worker thread (its own event loop): on a keep-alive connection opened before
 * the flood, and on a new connection every 500 ms. Resolves once the kept connection is open.
 */
async function probeHealth(origin) {
  const worker = new Worker(new URL('./health-probe.mjs', import.meta.url), { workerData: { origin } });
  const messages = [];
  let wake = () => {};
  worker.on('message', (message) => {
    messages.push(message);
    wake();
  });
  const next = () => new Promise((resolve, reject) => {
    if (messages.length > 0) return resolve(messages.shift());
    wake = () => resolve(messages.shift());
    worker.once('error', reject);
  });
  await next(); // ready
  return {
    stop: async () => {
      worker.postMessage('stop');
      const value = await next();
      await worker.terminate();
      return value;
    },
  };
}

/** `connections` workers sending logins made by `next(i)` until `ms` passes; counts every outcome. */
async function flood(origin, ms, next) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const counts = new Map();
  const latencies = [];
  const end = Date.now() + ms;
  let sent = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const { url, body, headers } = next(sent++);
      const res = await send(`${origin}${url}`, { method: 'POST', agent, body, headers, timeoutMs: REQUEST_TIMEOUT_MS });
      const key = res.timedOut ? 'timeout' : res.error ? 'socket error' : res.status;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      latencies.push(res.ms);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { counts, latencies, elapsed, total: latencies.length };
}

/** The largest value; Math.max(...values) overflows the stack past ~100,000 values. */
const largest = (values) => values.reduce((max, value) => (value > max ? value : max), -Infinity);

function report(title, result, health) {
  const { counts, latencies, elapsed, total } = result;
  console.log(`\n${title}`);
  console.log(`  ${total} requests in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s) over ${connections} connections`);
  const statuses = [...counts.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  console.log(`  answers: ${statuses.map(([status, n]) => `${status} × ${n}`).join(', ')}`);
  console.log(`  login latency: p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(largest(latencies))}`);
  const h = health.kept.latencies;
  const p99 = percentile(h, 99);
  console.log(`  /healthz, kept connection (${h.length} probes): p50 ${fmt(percentile(h, 50))}, p99 ${fmt(p99)}, max ${fmt(largest(h))} — target p99 < 50 ms: ${p99 < 50 ? 'met' : 'NOT MET'}`);
  const f = health.fresh.latencies;
  console.log(`  /healthz, new connection each time (${f.length} probes): p50 ${fmt(percentile(f, 50))}, max ${fmt(largest(f))}`);
  const failures = [...health.kept.failures, ...health.fresh.failures];
  if (failures.length > 0) console.log(`  /healthz failures: ${failures.join(', ')}`);
  const forbidden = statuses.filter(([status]) => !ALLOWED.has(status));
  return { forbidden: forbidden.length > 0 || failures.length > 0, p99 };
}

const server = await startServer({ TESSERA_TRUST_PROXY: '127.0.0.1' });
let failed = false;
try {
  const users = Array.from({ length: userCount }, (_, i) => `flood${i}`);
  const setup = Date.now();
  await registerUsers(server.origin, [...users, 'target']);
  console.log(`server ${server.origin}, ${users.length + 1} users registered in ${((Date.now() - setup) / 1000).toFixed(1)} s`);

  // Phase 1: many users, many client addresses, half of the passwords right.
  let health = await probeHealth(server.origin);
  const spread = await flood(server.origin, seconds * 1000, (i) => ({
    url: i % 4 === 3 ? '/v1/tokens' : '/v1/session',
    body: { username: users[(i * 7919) % users.length], password: i % 2 === 0 ? PASSWORD : WRONG },
    headers: { 'x-forwarded-for': clientAddress(i % 3000) },
  }));
  const first = report(`phase 1: login flood over ${users.length} users and 3000 client addresses, ${seconds} s`, spread, await health.stop());

  // Phase 2: every connection against one account, wrong passwords, a new address each time.
  health = await probeHealth(server.origin);
  const target = await flood(server.origin, targetSeconds * 1000, (i) => ({
    url: i % 2 ? '/v1/tokens' : '/v1/session',
    body: { username: i % 3 === 0 ? 'TARGET' : 'target', password: WRONG },
    headers: { 'x-forwarded-for': clientAddress(5000 + i) },
  }));
  const second = report(`phase 2: ${connections} connections against one account from ever-changing addresses, ${targetSeconds} s`, target, await health.stop());
  const processed = target.counts.get(401) ?? 0;
  console.log(`  failures the account throttle let through: ${processed} (5 free, then back-off 1, 2, 4 … s)`);
  const after = await send(`${server.origin}/v1/session`, { method: 'POST', body: { username: 'target', password: PASSWORD }, headers: { 'x-forwarded-for': '192.0.2.200' } });
  console.log(`  right password right after the flood: ${after.status}, Retry-After ${after.headers?.['retry-after'] ?? '-'} s`);

  failed = first.forbidden || second.forbidden;
  console.log(`\nverdict: ${failed ? 'FAILED (forbidden status, timeout or socket error)' : 'only 200/401/429/503, no timeouts'}; /healthz p99 ${fmt(first.p99)} and ${fmt(second.p99)}`);
} finally {
  await server.stop();
}
process.exitCode = failed ? 1 : 0;
