// Revocation propagation across instances (issue "Scale-out"): three Tessera processes on this
// machine's PostgreSQL and Redis. Each round revokes a token family on one instance and measures,
// on the two others, the time until the copied access token is refused. Prints p50/p99/max.
//
//   npm run build && node bench/propagation.mjs            # 200 rounds
//   ROUNDS=500 node bench/propagation.mjs
//
// Settings: ROUNDS (200), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test),
// BENCH_REDIS_URL (redis://127.0.0.1:6379). Uses its own schema and key prefix, removed at the end.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ID = `propagation_${process.pid}`;
const PASSWORD = 'correct horse battery staple';
const DEADLINE_MS = 5 * 60_000;

const env = {
  ...process.env,
  TESSERA_DATABASE_URL: `${POSTGRES}?schema=${ID}`,
  TESSERA_REDIS_URL: REDIS,
  TESSERA_REDIS_PREFIX: `${ID}:`,
  TESSERA_ISSUER: 'http://tessera.bench',
  TESSERA_TRUST_PROXY: '127.0.0.1',
  TESSERA_LOG_LEVEL: 'warn',
  // One user holds every family of the run: no cap eviction may revoke one early.
  TESSERA_MAX_SESSIONS_PER_USER: '10000',
};

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const children = [];
function stopAll() {
  for (const child of children) child.kill('SIGTERM');
}
process.once('exit', stopAll);
setTimeout(() => {
  console.error('propagation: deadline passed, stopping');
  process.exit(2);
}, DEADLINE_MS).unref();

async function startInstance() {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve'], { env: { ...env, TESSERA_PORT: String(port) }, stdio: 'inherit' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`instance on ${port} did not start`);
}

const post = (url, path, body, headers = {}) =>
  fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json());

/** Polls GET /v1/me until it is refused; resolves with the time of the refusal (ms, performance clock). */
async function refusedAt(url, access) {
  for (;;) {
    const response = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${access}` } });
    await response.arrayBuffer();
    if (response.status === 401) return performance.now();
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const urls = [await startInstance(), await startInstance(), await startInstance()];
  await post(urls[0], '/v1/users', { username: 'propagation', password: PASSWORD });
  // Token families made up front (logins cost a hash each), from distinct client addresses.
  const pairs = [];
  for (let i = 0; i < ROUNDS; i++) {
    pairs.push(await post(urls[i % 3], '/v1/tokens', { username: 'propagation', password: PASSWORD }, { 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` }));
  }
  const delays = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { access_token: access, refresh_token: refresh } = pairs[i];
    const revoker = urls[i % 3];
    const others = urls.filter((url) => url !== revoker);
    for (const url of others) await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${access}` } }).then((r) => r.arrayBuffer());
    const sent = performance.now();
    const refusals = others.map((url) => refusedAt(url, access));
    await post(revoker, '/v1/tokens/revoke', { token: refresh });
    for (const at of await Promise.all(refusals)) delays.push(at - sent);
  }
  delays.sort((a, b) => a - b);
  const fmt = (ms) => `${ms.toFixed(2)} ms`;
  console.log(`revocation propagation, ${ROUNDS} revocations x 2 other instances (${delays.length} samples)`);
  console.log(`  p50 ${fmt(percentile(delays, 50))}  p99 ${fmt(percentile(delays, 99))}  max ${fmt(delays.at(-1))}`);
  console.log('  (from sending the revocation to the first 401 on the other instance, polled back to back)');
}

async function cleanUp() {
  stopAll();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${ID} CASCADE`);
  await client.end();
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ID}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

main()
  .then(cleanUp, async (error) => {
    console.error(error);
    await cleanUp();
    process.exitCode = 1;
  })
  .then(() => process.exit());
