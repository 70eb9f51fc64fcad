#!/usr/bin/env node
// The measured figures of the capacity model (docs/scale.md, issue 14). `npm run bench:capacity`.
// Each part uses Tessera's own adapters from dist/ on the local services, with synthetic records
// shaped as the server writes them, and removes what it wrote:
//   redis     bytes per cookie session in Redis (MEMORY USAGE of every key, and INFO used_memory)
//   postgres  bytes per user, token family, cookie session, audit entry and revocation-log entry
//             (pg_total_relation_size over N rows: heap, indexes and TOAST)
//   deny      the deny view with 1,000,000 revocations: heap bytes an entry, ns to apply, ns to check
//   feed      revocation events a second one instance applies from the Redis stream, CPU an event
// then the projection of docs/scale.md from these figures and the assumptions printed with it.
// Usage: node bench/capacity.mjs [--only redis,postgres,deny,feed] [--json FILE]
// Environment: BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { project } from './lib/projection.mjs';

const DIST = new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, DIST).href);
// Session ids start with the owner's shard, as the core mints them (keys.ts tags a user's keys by it).
const { newSessionId } = await load('core/sessions.js');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const clock = { now: () => Date.now() };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
// What a browser login leaves in a record: a documentation address and a common user agent (111 bytes).
const IP = '203.0.113.77';
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const id = (bytes = 16) => randomBytes(bytes).toString('base64url');

function session(userId, now, userAgent = USER_AGENT) {
  return {
    id: newSessionId(userId),
    userId,
    amr: ['pwd'],
    authTime: now,
    secretHash: randomBytes(32),
    createdAt: now,
    lastSeenAt: now,
    idleTimeoutMs: 30 * MINUTE,
    expiresAt: now + 12 * 60 * MINUTE,
    remember: false,
    ip: IP,
    userAgent,
    revokedAt: null,
    revokeReason: null,
  };
}

function family(userId, now) {
  return {
    id: id(),
    userId,
    amr: ['pwd'],
    authTime: now,
    generation: 0,
    secretHash: randomBytes(32),
    createdAt: now,
    rotatedAt: now,
    idleTimeoutMs: 30 * DAY,
    expiresAt: now + 90 * DAY,
    transport: 'body',
    ip: IP,
    userAgent: USER_AGENT,
    revokedAt: null,
    revokeReason: null,
  };
}

/** Runs `task` on 0..count-1, `limit` at a time. */
async function times(count, limit, task) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) await task(next++);
  }));
}

async function scanKeys(redis, pattern) {
  const keys = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

const usedMemory = async (redis) => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);

/** Bytes a cookie session costs in Redis: its hash, its entry in the owner's index and in the purge index. */
async function redisPart() {
  const SESSIONS = 20_000;
  const PER_USER = 4;
  const { RedisKeys, RedisSessionStore } = await load('adapters/redis/index.js');
  const prefix = `tessera-capacity:${process.pid}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys = new RedisKeys(prefix);
    const store = new RedisSessionStore(redis, { clock, keys, retainMs: DAY });
    const users = Array.from({ length: SESSIONS / PER_USER }, () => (globalThis.crypto.randomUUID()));
    const before = await usedMemory(redis);
    const now = Date.now();
    await times(SESSIONS, 32, (n) => store.createSession(session(users[n % users.length], now), 50, now));
    const after = await usedMemory(redis);
    const all = await scanKeys(redis, `${prefix}*`);
    const sizes = { session: 0, userIndex: 0, purgeIndex: 0 };
    // Keys are tagged by the owner's shard (keys.ts): <prefix>{s:N}:s:<id>, {s:N}:su:<user>, {s:N}:se.
    const kind = (key) => (/\}:s:/.test(key) ? 'session' : /\}:su:/.test(key) ? 'userIndex' : /\}:se$/.test(key) ? 'purgeIndex' : null);
    for (const key of all) {
      const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      if (kind(key)) sizes[kind(key)] += bytes;
    }
    const encoding = await redis.call('OBJECT', 'ENCODING', all.find((k) => kind(k) === 'session'));
    const perSession = (sizes.session + sizes.userIndex + sizes.purgeIndex) / SESSIONS;
    // The same record with a user agent of 64 bytes or less: every field within Redis's default
    // hash-max-listpack-value (64), so the hash is a compact listpack instead of a hash table.
    const short = session(users[0], now, USER_AGENT.slice(0, 64));
    await store.createSession(short, 50, now);
    const listpackBytes = Number(await redis.call('MEMORY', 'USAGE', keys.session(short.id), 'SAMPLES', '0'));
    const listpackEncoding = await redis.call('OBJECT', 'ENCODING', keys.session(short.id));
    const limits = await redis.config('GET', 'hash-max-listpack-value').catch(() => []);
    const result = {
      sessions: SESSIONS,
      sessionsPerUser: PER_USER,
      sessionHashBytes: sizes.session / SESSIONS,
      userIndexBytesPerSession: sizes.userIndex / SESSIONS,
      purgeIndexBytesPerSession: sizes.purgeIndex / SESSIONS,
      memoryUsageBytesPerSession: perSession,
      usedMemoryBytesPerSession: (after - before) / SESSIONS,
      hashEncoding: encoding,
      shortUserAgentHashBytes: listpackBytes,
      shortUserAgentEncoding: listpackEncoding,
      hashMaxListpackValue: limits[1] ?? null,
    };
    console.log(`redis: ${SESSIONS} sessions, ${PER_USER} a user: ${Math.round(perSession)} bytes a session by MEMORY USAGE (hash ${Math.round(result.sessionHashBytes)} [${encoding}], owner's index ${Math.round(result.userIndexBytesPerSession)}, purge index ${Math.round(result.purgeIndexBytesPerSession)}); INFO used_memory grew ${Math.round(result.usedMemoryBytesPerSession)} bytes a session; with a user agent of 64 bytes the hash is ${listpackBytes} bytes [${listpackEncoding}] (hash-max-listpack-value ${result.hashMaxListpackValue})`);
    const left = await scanKeys(redis, `${prefix}*`);
    for (let i = 0; i < left.length; i += 500) await redis.del(...left.slice(i, i + 500));
    return result;
  } finally {
    redis.disconnect();
  }
}

const TABLES = ['users', 'families', 'sessions', 'audit_log', 'revocations'];

async function relationSizes(client, schema) {
  const sizes = {};
  for (const table of TABLES) {
    await client.query(`VACUUM ANALYZE ${schema}.${table}`);
    const { rows } = await client.query('SELECT pg_total_relation_size($1::regclass) AS bytes', [`${schema}.${table}`]);
    sizes[table] = Number(rows[0].bytes);
  }
  return sizes;
}

/** Bytes a row costs in PostgreSQL, indexes included, for each table that grows with use. */
async function postgresPart() {
  const N = 20_000;
  const { openPostgresStores, dropPostgresSchema } = await load('adapters/postgres/index.js');
  const schema = `tessera_capacity_${process.pid}`;
  const stores = await openPostgresStores(POSTGRES_URL, { clock, schema, poolSize: 8 });
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const empty = await relationSizes(client, schema);
    const now = Date.now();
    // A real Argon2id PHC string: every user's is the same length (97 bytes at these parameters).
    const { hash } = await import('@node-rs/argon2');
    const phc = await hash('capacity-password', { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const { uuidv7 } = await load('core/crypto.js');
    const users = [];
    await times(N, 8, async (n) => {
      const user = {
        id: uuidv7(now + n),
        username: `capacity-user-${n}`,
        usernameKey: `capacity-user-${n}`,
        role: 'user',
        disabled: false,
        passwordHash: phc,
        email: null,
        emailKey: null,
        emailVerified: false,
        createdAt: now,
        tokensNotBefore: 0,
        credentialsNotBefore: 0,
      };
      users[n] = user.id;
      await stores.users.createUser(user);
    });
    await times(N, 8, (n) => stores.families.createFamily(family(users[n], now), 50, now));
    await times(N, 8, (n) => stores.sessions.createSession(session(users[n], now), 50, now));
    await times(N, 1, (n) => stores.audit.append({ at: now, event: 'login_success', userId: users[n], ip: IP, userAgent: USER_AGENT, reason: null }));
    for (let n = 0; n < N; n += 500) {
      await stores.transact(async (tx) => {
        for (let i = n; i < n + 500; i++) tx.publish({ type: 'credential', kind: 'family', sid: id(), userId: users[i], reason: 'logout', at: now }, true);
      });
    }
    const full = await relationSizes(client, schema);
    const per = Object.fromEntries(TABLES.map((table) => [table, (full[table] - empty[table]) / N]));
    const result = {
      rows: N,
      userBytes: per.users,
      familyBytes: per.families,
      sessionBytes: per.sessions,
      auditEntryBytes: per.audit_log,
      revocationBytes: per.revocations,
    };
    console.log(`postgres: ${N} rows each, pg_total_relation_size: user ${Math.round(per.users)} bytes, token family ${Math.round(per.families)}, cookie session ${Math.round(per.sessions)}, audit entry ${Math.round(per.audit_log)}, revocation-log entry ${Math.round(per.revocations)}`);
    return result;
  } finally {
    await client.end();
    await stores.close();
    await dropPostgresSchema(POSTGRES_URL, schema);
  }
}

const DENY_MEMORY = fileURLToPath(new URL('./workers/deny-memory.mjs', import.meta.url));

function denyMemory(kind, entries) {
  const out = execFileSync(process.execPath, ['--expose-gc', DENY_MEMORY, kind, String(entries)], { encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').at(-1)).bytesPerEntry;
}

const nsPer = (count, work) => {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / count;
};

/** The deny view holding a million revocations inside its retention window. */
async function denyPart() {
  const ENTRIES = 1_000_000;
  const { DenyView } = await load('core/denyView.js');
  const retainMs = 15 * MINUTE + 30_000; // the default 900 s access token plus the 30 s leeway cap
  const now = Date.now();
  const ids = Array.from({ length: ENTRIES }, () => id());
  const users = Array.from({ length: ENTRIES }, () => globalThis.crypto.randomUUID());

  // Memory: in a fresh process each, the ids made as the feed's parsing makes them.
  const sidBytes = denyMemory('sid', ENTRIES);
  const userBytes = denyMemory('user', ENTRIES);

  // Time: events made beforehand; the median of 5 rounds.
  const events = ids.map((sid, i) => ({ type: 'credential', kind: 'family', sid, userId: users[i], reason: 'logout', at: now }));
  const rounds = { apply: [], checkHit: [], checkMiss: [] };
  for (let round = 0; round < 5; round++) {
    const deny = new DenyView(retainMs);
    rounds.apply.push(nsPer(ENTRIES, () => events.forEach((event) => deny.apply(event))));
    let denied = 0;
    rounds.checkHit.push(nsPer(ENTRIES, () => ids.forEach((sid, i) => (denied += deny.isDenied(sid, users[i], 0) ? 1 : 0))));
    const misses = users.slice(0, ENTRIES);
    rounds.checkMiss.push(nsPer(ENTRIES, () => misses.forEach((sub, i) => (denied += deny.isDenied(sub, users[i], 0) ? 1 : 0))));
    if (denied !== ENTRIES) throw new Error('the deny view answered wrongly');
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const result = { entries: ENTRIES, sidEntryBytes: sidBytes, userEntryBytes: userBytes, applyNs: median(rounds.apply), checkHitNs: median(rounds.checkHit), checkMissNs: median(rounds.checkMiss) };
  console.log(`deny view, ${ENTRIES} entries: ${Math.round(sidBytes)} heap bytes a revoked sid (${(sidBytes * ENTRIES / 2 ** 20).toFixed(0)} MiB for the million), ${Math.round(userBytes)} a user not-before; apply ${result.applyNs.toFixed(0)} ns, check ${result.checkHitNs.toFixed(0)} ns when denied, ${result.checkMissNs.toFixed(0)} ns when not`);
  return result;
}

/** How fast one instance takes revocation events from the Redis stream into its deny view, and the CPU that costs. */
async function feedPart() {
  const EVENTS = 50_000;
  const { RedisEventBus, RedisKeys } = await load('adapters/redis/index.js');
  const { Revocations } = await load('core/revocations.js');
  const prefix = `tessera-capacity:${process.pid}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keys = new RedisKeys(prefix);
  const bus = new RedisEventBus(redis, { clock, keys, retainMs: DAY, onError: () => undefined });
  try {
    const now = Date.now();
    await times(EVENTS, 64, (n) => bus.publish({ id: n + 1, event: { type: 'credential', kind: 'family', sid: id(), userId: globalThis.crypto.randomUUID(), reason: 'logout', at: now } }));
    const revocations = new Revocations({ clock, maxStalenessMs: 10_000, retainMs: 15 * MINUTE + 30_000 });
    // What a server adds per event: its session cache evicts the sid (a Map delete).
    const cache = new Map();
    revocations.listen((event) => event.type === 'credential' && cache.delete(event.sid));
    let received = 0;
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const subscription = bus.subscribe({
      onEvent(message) {
        revocations.onEvent(message);
        if (++received === EVENTS) done();
      },
      onHeartbeat: (at) => revocations.onHeartbeat(at),
    }, { sinceTime: now - MINUTE });
    const timeout = setTimeout(() => done(), 120_000);
    await finished;
    clearTimeout(timeout);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    await subscription.close();
    if (received < EVENTS) throw new Error(`only ${received} of ${EVENTS} events arrived`);
    const cpuUsPerEvent = (cpu.user + cpu.system) / EVENTS;
    const result = { events: EVENTS, eventsPerSecond: EVENTS / seconds, cpuUsPerEvent, cpuCoresAtMax: (cpu.user + cpu.system) / 1e6 / seconds };
    console.log(`feed: ${EVENTS} events from the Redis stream in ${seconds.toFixed(2)} s: ${Math.round(result.eventsPerSecond)} events/s on ${result.cpuCoresAtMax.toFixed(2)} cores, ${cpuUsPerEvent.toFixed(1)} µs of CPU an event (process, Redis excluded)`);
    return result;
  } finally {
    await bus.close();
    const all = await scanKeys(redis, `${prefix}*`);
    if (all.length > 0) await redis.del(...all);
    redis.disconnect();
  }
}

const PARTS = { redis: redisPart, postgres: postgresPart, deny: denyPart, feed: feedPart };

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'string' } } });
  const selected = values.only ? values.only.split(',') : Object.keys(PARTS);
  const figures = {};
  for (const name of selected) {
    if (!PARTS[name]) throw new Error(`unknown part ${name}; known: ${Object.keys(PARTS).join(', ')}`);
    figures[name] = await PARTS[name]();
  }
  const out = { date: new Date().toISOString(), node: process.version, figures };
  if (selected.length === Object.keys(PARTS).length) {
    out.projection = project(figures);
    console.log(`\n${out.projection.text}`);
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((error) => {
  console.error(`capacity: ${error.stack}`);
  process.exitCode = 1;
});
