#!/usr/bin/env node
// What a login costs beside its Argon2id hash (issue 14). `npm run bench:login`.
//
// 1. Main-thread CPU a login: logins one at a time against `tessera serve` pinned to one core, and
//    the CPU time of each of the server's threads from /proc/PID/task/TID/stat: the main thread
//    (the event loop: HTTP, SQL, audit, session), libuv's pool (the hash) and V8's helpers.
// 2. The login rate against the raw hash rate on the same core: logins with several in flight and
//    one hash at a time (TESSERA_HASH_CONCURRENCY=1), then workers/argon2-saturate.mjs pinned there.
//
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (then bench/profile-top.mjs).
// BENCH_ARGON2=m=KIB,t=PASSES runs server and raw hashes at other Argon2id settings (TESSERA_ARGON2):
// with m=1024,t=38, a hash as long as the default's in 1 MiB, which leaves the CPU caches warm.
// Environment: BENCH_LOGINS (300), BENCH_DURATION (10 s), BENCH_SATURATED (0 skips part 2), BENCH_PIN (0: unpinned), BENCH_PORTS (20000-32767).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpRequest, waitUntilAnswering } from './lib/http.mjs';
import { planCores } from './lib/machine.mjs';
import { runToEnd, spawnTracked } from './lib/proc.mjs';
import { benchmarkAddress } from './lib/rotation.mjs';
import { percentile } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(ROOT, 'dist/cli/main.js');
const ARGON2 = fileURLToPath(new URL('./workers/argon2-saturate.mjs', import.meta.url));
const USERS = 256;
const LOGINS = Number(process.env.BENCH_LOGINS ?? 300);
// Logins before any figure, so that V8 has optimised the login path, as in a server that has run a while.
const WARMUP = Number(process.env.BENCH_LOGIN_WARMUP ?? 64);
const DURATION_SEC = Number((process.env.BENCH_DURATION ?? '10').replace(/s$/, ''));
const IN_FLIGHT = 8;
// BENCH_PIN=0 lets the server use every core: the hash then never shares the main thread's.
const PINNED = process.env.BENCH_PIN !== '0';
const TICK_MS = 1000 / 100; // USER_HZ
const ARGON2_SETTING = process.env.BENCH_ARGON2 ?? 'm=19456,t=2';
const [, ARGON2_M, ARGON2_T] = /^m=(\d+),t=(\d+)$/.exec(ARGON2_SETTING) ?? [];
if (ARGON2_M === undefined || ARGON2_T === undefined) throw new Error(`BENCH_ARGON2: expected m=KIB,t=PASSES (got ${ARGON2_SETTING})`);

const cores = planCores();
const dir = mkdtempSync(join(os.tmpdir(), 'bench-login-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

function env(extra) {
  const inherited = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('TESSERA_')).map((name) => [name, undefined]));
  return {
    ...inherited,
    NODE_ENV: 'production',
    TESSERA_HOST: '127.0.0.1',
    TESSERA_ISSUER: 'http://tessera.bench',
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_TRUST_PROXY: '127.0.0.1',
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_ARGON2: ARGON2_SETTING,
    ...extra,
  };
}

/**
 * CPU ticks of `pid`'s threads: the main thread (the event loop; `mainSystem` its kernel part) and
 * the others together (the hash on libuv's pool, V8's compiler and GC helpers: Node 20 names them all `node`).
 */
function threadTicks(pid) {
  const out = { main: 0, mainSystem: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      const ticks = f[11] + f[12];
      if (tid === String(pid)) {
        out.main += ticks;
        out.mainSystem += f[12];
      } else out.other += ticks;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Part 2: logins a second with several in flight, then the raw hash rate on the same core. */
async function saturated(pid, serial) {
  let done = 0;
  let next = WARMUP + LOGINS;
  const deadline = Date.now() + DURATION_SEC * 1000;
  const t0 = process.hrtime.bigint();
  const s0 = threadTicks(pid);
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (Date.now() < deadline) {
      await login(origin, next++);
      done += 1;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const s1 = threadTicks(pid);
  const loginRate = done / seconds;
  const mainShare = ((s1.main - s0.main) * TICK_MS) / 1000 / seconds;
  await server.stop();
  const raw = JSON.parse((await runToEnd(process.execPath, [ARGON2, String(DURATION_SEC), '1', ARGON2_M, ARGON2_T], { cpus: cores.server, timeoutMs: DURATION_SEC * 1000 + 20_000 })).trim().split('\n').at(-1));
  console.log(`saturated, ${IN_FLIGHT} in flight, one hash at a time on CPU ${cores.server ?? 'any'}: ${loginRate.toFixed(1)} logins/s (main thread ${(mainShare * 100).toFixed(0)}% of the core); raw Argon2id ${raw.rps.toFixed(1)} hashes/s (${raw.p50ms.toFixed(2)} ms a hash); ratio ${(loginRate / raw.rps).toFixed(2)} (target ≥ 0.9)`);
  console.log(`BENCH_RESULT ${JSON.stringify({ healthzMainMs: serial.floor, mainMsPerLogin: serial.main, mainSystemMsPerLogin: serial.mainSystem, otherMsPerLogin: serial.other, loginP50ms: serial.p50, loginsPerSecond: loginRate, rawHashesPerSecond: raw.rps, hashMs: raw.p50ms, ratio: loginRate / raw.rps })}`);
}

async function login(origin, n) {
  const user = `bench-user-${String(n % USERS).padStart(4, '0')}`;
  const started = process.hrtime.bigint();
  const response = await httpRequest(`${origin}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': benchmarkAddress(n) },
    body: JSON.stringify({ username: user, password: passwords[n % USERS] }),
    timeoutMs: 30_000,
  });
  if (response.status !== 200) throw new Error(`POST /v1/session answered ${response.status}: ${response.body.slice(0, 200)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const passwords = Array.from({ length: USERS }, (_, i) => `bench-login-password-${i}-${process.pid}`);
writeFileSync(join(dir, 'users.jsonl'), passwords.map((password, i) => JSON.stringify({ username: `bench-user-${String(i).padStart(4, '0')}`, password })).join('\n') + '\n');
console.log(`login-cost: seeding ${USERS} users; Argon2id ${ARGON2_SETTING}`);
await runToEnd(process.execPath, [MAIN, 'user', 'import', 'users.jsonl'], { cwd: dir, env: env({ TESSERA_HASH_CONCURRENCY: '2' }), timeoutMs: 120_000 });

const port = await freePort();
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = spawnTracked(process.execPath, [...nodeArgs, MAIN, 'serve'], {
  cpus: PINNED ? cores.server : null,
  cwd: dir,
  env: env({ TESSERA_PORT: String(port), TESSERA_HASH_CONCURRENCY: '1' }),
});
const origin = `http://127.0.0.1:${port}`;
let exitCode = 0;
try {
  await waitUntilAnswering(`${origin}/healthz`, server);
  const pid = server.child.pid;
  // Warm-up: the JIT compiles the login path.
  for (let n = 0; n < WARMUP; n++) await login(origin, n);

  // 0. The floor: GET /healthz one at a time costs what any request costs at this pace (HTTP, wake-ups).
  const h0 = threadTicks(pid);
  for (let n = 0; n < LOGINS; n++) await httpRequest(`${origin}/healthz`, { timeoutMs: 10_000 });
  const h1 = threadTicks(pid);
  const floorMs = ((h1.main - h0.main) * TICK_MS) / LOGINS;
  console.log(`one at a time, ${LOGINS} GET /healthz: main thread ${floorMs.toFixed(2)} ms CPU a request`);

  // 1. One at a time: each thread's CPU a login.
  const before = threadTicks(pid);
  const latencies = [];
  for (let n = 0; n < LOGINS; n++) latencies.push(await login(origin, WARMUP + n));
  const after = threadTicks(pid);
  const perLogin = (key) => ((after[key] - before[key]) * TICK_MS) / LOGINS;
  const serial = { floor: floorMs, main: perLogin('main'), mainSystem: perLogin('mainSystem'), other: perLogin('other'), p50: percentile(latencies, 50) };
  console.log(`one at a time, ${LOGINS} logins: main thread ${serial.main.toFixed(2)} ms CPU a login (${serial.mainSystem.toFixed(2)} ms of it in the kernel), other threads (the hash) ${serial.other.toFixed(2)} ms; latency p50 ${serial.p50.toFixed(1)} ms`);

  // 2. Saturated: logins a second on one core against the raw hash rate there. A profile of this
  // phase misleads: the hash thread preempts the main thread on the shared core, and V8's sampler
  // charges that wait to whatever native call the main thread was in (writev, verify). Profile with
  // BENCH_SATURATED=0, where one login at a time leaves the main thread alone when it runs.
  if (process.env.BENCH_SATURATED === '0') console.log(`BENCH_RESULT ${JSON.stringify({ healthzMainMs: floorMs, mainMsPerLogin: serial.main, mainSystemMsPerLogin: serial.mainSystem, otherMsPerLogin: serial.other, loginP50ms: serial.p50 })}`);
  else await saturated(pid, serial);
} catch (error) {
  console.error(`login-cost: ${error.message}`);
  exitCode = 1;
} finally {
  await server.stop();
}
process.exit(exitCode);
