// Tessera as the bench runs it: built once, 2,000 users seeded once into a SQLite file that every
// scenario copies, servers started with explicit settings, and the credentials fetched through the
// public API. Scenarios: ../scenarios/tessera.mjs and ../scenarios/tessera-churn.mjs.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpRequest, waitUntilAnswering } from './http.mjs';
import { runToEnd, spawnTracked } from './proc.mjs';
import { benchmarkAddress } from './rotation.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/cli/main.js');

export const USER_COUNT = 2000;
export const SESSION_COOKIE = '__Host-tessera_session';
// Tokens carry `iss`; a fixed issuer lets tokens fetched from one process verify in the next,
// which listens on another port.
const ISSUER = 'http://tessera.bench';
// Set-up requests at once: enough to keep every core hashing, few enough not to queue for long.
const SETUP_CONCURRENCY = Math.max(4, 2 * os.availableParallelism());
const BUILD_TIMEOUT_MS = 3 * 60_000;
const IMPORT_TIMEOUT_MS = 8 * 60_000;

let seeding = null;

/**
 * Builds dist/ (a fresh clone has none, and a stale one would measure old code) and imports
 * USER_COUNT users into a SQLite file, once per harness process. Resolves with the file and the
 * users' credentials; the directory is removed when the harness exits.
 * @returns {Promise<{ database: string, users: Array<{ username: string, password: string }> }>}
 */
export function seed(log) {
  seeding ??= makeSeed(log);
  return seeding;
}

async function makeSeed(log) {
  log('  building dist/ (npm run build)');
  await runToEnd('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeoutMs: BUILD_TIMEOUT_MS });
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-tessera-seed-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const users = Array.from({ length: USER_COUNT }, (_, i) => ({
    username: `bench-user-${String(i).padStart(4, '0')}`,
    // Random, so that no breached-password list refuses it; 24 characters, above the minimum of 15.
    password: randomBytes(18).toString('base64url'),
  }));
  writeFileSync(join(dir, 'users.jsonl'), users.map((user) => JSON.stringify(user)).join('\n') + '\n');
  const database = join(dir, 'seed.db');
  log(`  seeding ${USER_COUNT} users (tessera user import; one Argon2id hash each)`);
  await runToEnd(process.execPath, [MAIN, 'user', 'import', 'users.jsonl'], {
    cwd: dir,
    env: serverEnv({ database, hashConcurrency: os.availableParallelism() }),
    timeoutMs: IMPORT_TIMEOUT_MS,
  });
  return { database, users };
}

/** Copies a SQLite database (and its write-ahead log, if a writer left one) to `to`. */
export function copyDatabase(from, to) {
  copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) {
    rmSync(to + suffix, { force: true });
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
  }
  return to;
}

/**
 * The server's whole configuration. Every other TESSERA_* variable of the harness's environment is
 * removed (undefined is not passed on), so that a developer's shell cannot change what is measured.
 */
function serverEnv({ database, port, redis = null, tokenCache = true, hashConcurrency = 1 }) {
  const inherited = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('TESSERA_')).map((name) => [name, undefined]));
  return {
    ...inherited,
    NODE_ENV: 'production',
    TESSERA_HOST: '127.0.0.1',
    ...(port === undefined ? {} : { TESSERA_PORT: String(port) }),
    TESSERA_ISSUER: ISSUER,
    TESSERA_DATABASE_URL: `sqlite:${database}`,
    ...(redis ? { TESSERA_REDIS_URL: redis.url, TESSERA_REDIS_PREFIX: redis.prefix } : {}),
    // Set-up fetches tokens and sessions for many users through one trusted proxy, one address each.
    TESSERA_TRUST_PROXY: '127.0.0.1',
    TESSERA_TOKEN_CACHE: String(tokenCache),
    TESSERA_HASH_CONCURRENCY: String(hashConcurrency),
    TESSERA_LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
  };
}

/**
 * Starts `tessera serve` on `database` and a free loopback port. `pinned` puts it on ctx.cores.server
 * (a measured run); otherwise it may use every core (set-up). BENCH_NODE_ARGS (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof") is passed to the `measured` servers only (by default, the pinned ones).
 * @returns {Promise<{ origin: string, stop: () => Promise<void> }>}
 */
export async function startTessera(ctx, options) {
  try {
    return await startTesseraOnce(ctx, options);
  } catch (error) {
    // Seen twice in full runs, never alone: a server left at once with code 0 and no output. Once
    // more, said aloud; a second failure ends the scenario.
    if (!/^server exited/.test(error.message)) throw error;
    console.log(`  warning: ${error.message.split('\n')[0]}; starting it once more`);
    return startTesseraOnce(ctx, options);
  }
}

async function startTesseraOnce(ctx, { database, redis = null, tokenCache = true, pinned = true, measured = pinned, hashConcurrency }) {
  const port = await freePort();
  const nodeArgs = measured ? (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const proc = spawnTracked(process.execPath, [...nodeArgs, MAIN, 'serve'], {
    cpus: pinned ? ctx.cores.server : null,
    // The work directory, not the repository: a developer's .env there must not reach the server.
    cwd: ctx.workDir,
    env: serverEnv({ database, port, redis, tokenCache, hashConcurrency: hashConcurrency ?? (pinned ? ctx.cores.serverCpuCount : os.availableParallelism()) }),
  });
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(`${origin}/healthz`, proc);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  // A profiled server writes its profile as it exits: give it the time to, rather than SIGKILL at 3 s.
  return { origin, stop: async () => void (await proc.stop(nodeArgs.length > 0 ? 30_000 : undefined)) };
}

/** Runs `task` on every item, `limit` at a time; resolves with the results in order. */
export async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function postJson(url, body, headers = {}) {
  const response = await httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    timeoutMs: 30_000,
  });
  if (response.status !== 200) throw new Error(`POST ${new URL(url).pathname} answered ${response.status}: ${response.body.slice(0, 300)}`);
  return response;
}

/**
 * `count` logins (one credential each), the users taken in turn, `SETUP_CONCURRENCY` at a time. Each
 * request comes from its own address (`addressOffset + n`, through the trusted proxy). A round covers
 * each user once, so that no user logs in twice at once: the per-account limit allows one at a time.
 */
async function logins(users, count, addressOffset, login) {
  const results = [];
  for (let done = 0; done < count; done += users.length) {
    const round = users.slice(0, Math.min(users.length, count - done));
    results.push(...(await mapLimit(round, SETUP_CONCURRENCY, (user, i) => login(user, benchmarkAddress(addressOffset + done + i)))));
  }
  return results;
}

/** `Cookie` header lines, one session for each user: `POST /v1/session`. */
export function fetchSessionCookies(origin, users, { addressOffset = 0 } = {}) {
  return logins(users, users.length, addressOffset, async (user, address) => {
    const response = await postJson(`${origin}/v1/session`, user, { 'x-forwarded-for': address });
    const cookie = (response.headers['set-cookie'] ?? []).map((line) => line.split(';', 1)[0]).find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
    if (!cookie) throw new Error('POST /v1/session set no session cookie');
    return cookie;
  });
}

/** `count` token pairs (`POST /v1/tokens`, one for each user by default), each a token family of its own. */
export function fetchTokenPairs(origin, users, { count = users.length, addressOffset = 0 } = {}) {
  return logins(users, count, addressOffset, async (user, address) => {
    const { body } = await postJson(`${origin}/v1/tokens`, user, { 'x-forwarded-for': address });
    const pair = JSON.parse(body);
    if (typeof pair.access_token !== 'string' || typeof pair.refresh_token !== 'string') throw new Error('POST /v1/tokens gave no token pair');
    return { access: pair.access_token, refresh: pair.refresh_token };
  });
}

/**
 * A set-up server on a copy of the seed (`database`), on every core: `work(origin)` fetches
 * credentials, then the server stops gracefully, so that the file holds them for the runs to copy.
 */
export async function withSetupServer(ctx, options, work) {
  const server = await startTessera(ctx, { ...options, pinned: false });
  try {
    return await work(server.origin);
  } finally {
    await server.stop();
  }
}
