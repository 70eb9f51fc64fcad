// Tessera's scenarios (issue 6). Each seeds from one SQLite file of 2,000 users (../lib/tessera.mjs),
// fetches its credentials once in setup through the public API on a set-up server, and gives every
// run a fresh server process on a fresh copy of the database, pinned to the server core.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { latencyProbe } from '../lib/alongside.mjs';
import { copyDatabase, fetchSessionCookies, fetchTokenPairs, seed, startTessera, withSetupServer } from '../lib/tessera.mjs';

export { tesseraRevocationChurn } from './tessera-churn.mjs';

// Access tokens live 15 minutes: a run that would start with less than this left refetches them.
const TOKEN_MIN_LIFE_LEFT_MS = 5 * 60_000;
const ACCESS_TTL_MS = 15 * 60_000;

/** Copies the seed into the scenario's directory: the base every run copies again. */
async function baseDatabase(ctx) {
  const { database, users } = await seed(console.log);
  ctx.state.base = copyDatabase(database, join(ctx.workDir, 'base.db'));
  ctx.state.users = users;
  ctx.state.runs = 0;
}

/** A fresh copy of the scenario's base for one run: every run starts from the same state. */
function runDatabase(ctx) {
  ctx.state.runs += 1;
  return copyDatabase(ctx.state.base, join(ctx.workDir, `run-${ctx.state.runs}.db`));
}

function writeLines(ctx, name, lines) {
  const file = join(ctx.workDir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A server on a fresh copy for one run, and GET /v1/me with the scenario's credentials in rotation. */
async function meTarget(ctx, { redis = null, tokenCache = true, rotate }) {
  const server = await startTessera(ctx, { database: runDatabase(ctx), redis, tokenCache });
  return { url: `${server.origin}/v1/me`, rotate, stop: server.stop };
}

/** One session per user; cookies.txt holds one Cookie header a line. */
function sessionScenario(id, title, useRedis) {
  return {
    id,
    title,
    needsRedis: useRedis,
    async setup(ctx) {
      await baseDatabase(ctx);
      const redis = useRedis ? ctx.redis : null;
      const cookies = await withSetupServer(ctx, { database: ctx.state.base, redis }, (origin) => fetchSessionCookies(origin, ctx.state.users));
      ctx.state.cookies = writeLines(ctx, 'cookies.txt', cookies);
    },
    start: (ctx) => meTarget(ctx, { redis: useRedis ? ctx.redis : null, rotate: { kind: 'cookie', file: ctx.state.cookies } }),
  };
}

/** @type {import('./index.mjs').Scenario[]} */
export const tesseraSessionScenarios = [
  sessionScenario('tessera-session-embedded', 'Tessera GET /v1/me, 2,000 session cookies, SQLite', false),
  sessionScenario('tessera-session-redis', 'Tessera GET /v1/me, 2,000 session cookies, Redis', true),
];

/** One token family per user, its access token a line of tokens.txt, fetched again when it would expire mid-run. */
async function fetchAccessTokens(ctx) {
  const pairs = await withSetupServer(ctx, { database: ctx.state.base }, (origin) => fetchTokenPairs(origin, ctx.state.users, { addressOffset: ctx.state.fetches * ctx.state.users.length }));
  ctx.state.fetches += 1;
  ctx.state.tokens = writeLines(ctx, 'tokens.txt', pairs.map((pair) => pair.access));
  ctx.state.tokensExpireAt = Date.now() + ACCESS_TTL_MS - 30_000;
}

function tokenScenario(id, title, tokenCache) {
  return {
    id,
    title,
    // An Ed25519 verification a request holds about 7,000 a second at most here.
    ...(tokenCache ? {} : { fixedRateCap: 3000 }),
    async setup(ctx) {
      await baseDatabase(ctx);
      ctx.state.fetches = 0;
      await fetchAccessTokens(ctx);
    },
    async start(ctx) {
      if (ctx.state.tokensExpireAt - Date.now() < TOKEN_MIN_LIFE_LEFT_MS) await fetchAccessTokens(ctx);
      return meTarget(ctx, { tokenCache, rotate: { kind: 'bearer', file: ctx.state.tokens } });
    },
  };
}

/** @type {import('./index.mjs').Scenario[]} */
export const tesseraTokenScenarios = [
  tokenScenario('tessera-token', 'Tessera GET /v1/me, 2,000 bearer tokens in rotation', true),
  tokenScenario('tessera-token-first-use', 'Tessera GET /v1/me, 2,000 bearer tokens, token cache off', false),
];

/**
 * POST /v1/session at 32 connections, each login a user of the seed from its own address, with one
 * Argon2id hash in flight per server core (TESSERA_HASH_CONCURRENCY), as argon2-raw hashes.
 * /healthz is probed alongside: logins must not starve the event loop.
 * @type {import('./index.mjs').Scenario}
 */
export const tesseraLogin = {
  id: 'tessera-login',
  fixedRate: false,
  title: 'Tessera POST /v1/session, 32 connections',
  async setup(ctx) {
    await baseDatabase(ctx);
    ctx.state.logins = writeLines(ctx, 'logins.txt', ctx.state.users.map((user) => `${user.username}\t${user.password}`));
  },
  async start(ctx) {
    const server = await startTessera(ctx, { database: runDatabase(ctx) });
    return {
      url: `${server.origin}/v1/session`,
      rotate: { kind: 'login', file: ctx.state.logins },
      connections: 32,
      alongside: [latencyProbe(`${server.origin}/healthz`)],
      stop: server.stop,
    };
  },
};
