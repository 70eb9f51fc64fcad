// tessera-revocation-churn: tessera-token and tessera-session-redis again, on one Redis-backed
// server, while 100 token families a second are revoked through POST /v1/tokens/revoke on that same
// server and their events flow through the feed. Each run measures every load with and without the
// churn on the same server process, in rotating order, so that the cost is a ratio taken under the
// same conditions. One more phase of each load sends the revocations to a peer instance on the load
// core (same database and Redis feed): what the feed alone costs a verifier, apart from serving the
// revocations. The row's rps, p50 and p99 are the token load's under churn on the same server.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpRequest } from '../lib/http.mjs';
import { runLoad } from '../lib/load.mjs';
import { spawnTracked } from '../lib/proc.mjs';
import { nthRequest, readEntries } from '../lib/rotation.mjs';
import { copyDatabase, fetchSessionCookies, fetchTokenPairs, seed, startTessera, withSetupServer } from '../lib/tessera.mjs';
import { writeFileSync } from 'node:fs';

const REVOKER = fileURLToPath(new URL('../workers/revoker.mjs', import.meta.url));
export const REVOCATIONS_PER_SECOND = 100;
// Six phases a run must fit the harness's limit for a measure (2 min plus one duration).
const MAX_PHASE_SEC = 17;
const MAX_ERROR_SHARE = 0.01;
const ACCESS_TTL_MS = 15 * 60_000;
const TOKEN_MIN_LIFE_LEFT_MS = 5 * 60_000;

const phaseSeconds = (durationSec) => Math.min(durationSec, MAX_PHASE_SEC);

function writeLines(ctx, name, lines) {
  const file = join(ctx.workDir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// The phases of each load: none, churn served by the measured server, churn served by a peer.
const TOKEN_PHASES = ['none', 'self', 'peer'];
const SESSION_PHASES = ['none', 'self', 'peer'];
const CHURN_PHASES = TOKEN_PHASES.length + SESSION_PHASES.length - 2;

/** Throw-away families for every churn phase of every run, a tenth more for the rate's overshoot. */
function familiesNeeded(ctx) {
  const runs = ctx.settings?.runs ?? 3;
  const seconds = phaseSeconds(ctx.settings?.durationSec ?? 10);
  return Math.ceil(REVOCATIONS_PER_SECOND * seconds * CHURN_PHASES * runs * 1.1) + 100;
}

async function fetchAccessTokens(ctx, origin) {
  const pairs = await fetchTokenPairs(origin, ctx.state.users, { addressOffset: ctx.state.addresses });
  ctx.state.addresses += pairs.length;
  ctx.state.tokens = writeLines(ctx, 'tokens.txt', pairs.map((pair) => pair.access));
  ctx.state.tokensExpireAt = Date.now() + ACCESS_TTL_MS - 30_000;
}

async function setup(ctx) {
  const { database, users } = await seed(console.log);
  Object.assign(ctx.state, { base: copyDatabase(database, join(ctx.workDir, 'base.db')), users, runs: 0, addresses: 0, nextRevoke: 0 });
  await withSetupServer(ctx, { database: ctx.state.base, redis: ctx.redis }, async (origin) => {
    const count = familiesNeeded(ctx);
    console.log(`  issuing ${count} throw-away token families, ${users.length} sessions and ${users.length} access tokens`);
    const families = await fetchTokenPairs(origin, users, { count });
    ctx.state.addresses += count;
    ctx.state.refreshTokens = writeLines(ctx, 'throw-away.txt', families.map((pair) => pair.refresh));
    ctx.state.cookies = writeLines(ctx, 'cookies.txt', await fetchSessionCookies(origin, users, { addressOffset: ctx.state.addresses }));
    ctx.state.addresses += users.length;
    await fetchAccessTokens(ctx, origin);
  });
}

/** The first request of a load, once: a target that answers 401 would be measured as fast. */
async function preflight(target) {
  const { headers } = nthRequest(target, readEntries(target.rotate.file), 0);
  const response = await httpRequest(target.url, { headers, timeoutMs: 10_000 });
  if (response.status !== 200) throw new Error(`GET ${target.url} answered ${response.status} before the load`);
}

function checkErrors(figures, what) {
  const limit = figures.requests * MAX_ERROR_SHARE;
  if (figures.requests === 0) throw new Error(`${what}: no request completed`);
  if (figures.httpErrors > limit || figures.socketErrors > limit) {
    throw new Error(`${what}: ${figures.httpErrors} responses ≥ 400 and ${figures.socketErrors} socket errors in ${figures.requests} requests`);
  }
}

/** Starts the revoker on the load generator's cores; `stop()` resolves with its figures. */
function startRevoker(ctx, origin) {
  const proc = spawnTracked(process.execPath, [REVOKER, origin, ctx.state.refreshTokens, String(ctx.state.nextRevoke), String(REVOCATIONS_PER_SECOND)], { cpus: ctx.cores.load });
  return {
    async stop() {
      await proc.stop(5000);
      const line = proc.stdout().trim().split('\n').at(-1);
      if (!line) throw new Error(`the revoker printed nothing: ${proc.stderrTail().trim().slice(-300)}`);
      const figures = JSON.parse(line);
      ctx.state.nextRevoke += figures.used;
      if (figures.revocationErrors > 0) throw new Error(`${figures.revocationErrors} revocations failed: ${proc.stderrTail().trim().slice(-300)}`);
      return figures;
    },
  };
}

/** One measured load; the churn, if any, revokes through `revokeAt`. */
async function phase(ctx, target, { revokeAt, durationSec, what }) {
  const revoker = revokeAt ? startRevoker(ctx, revokeAt) : null;
  let figures;
  try {
    figures = await runLoad({ generator: ctx.settings.generator, cores: ctx.cores, target, durationSec });
  } finally {
    const revoked = await revoker?.stop();
    if (revoked) figures = figures && { ...figures, revocationsPerSecond: revoked.revocationPerSecond };
  }
  checkErrors(figures, what);
  return figures;
}

const costPct = (churn, quiet) => (1 - churn.rps / quiet.rps) * 100;

/** Warm-up, then one phase of each kind, starting at a different one on each run. */
async function measurePhases(ctx, servers, target, kinds, durationSec, what) {
  await preflight(target);
  if (ctx.settings.warmupSec > 0) await runLoad({ generator: ctx.settings.generator, cores: ctx.cores, target, durationSec: ctx.settings.warmupSec });
  const figures = {};
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[(i + ctx.state.runs) % kinds.length];
    figures[kind] = await phase(ctx, target, { revokeAt: servers[kind], durationSec, what: `${what} (${kind})` });
  }
  return figures;
}

async function measure(ctx, durationSec) {
  if (ctx.state.tokensExpireAt - Date.now() < TOKEN_MIN_LIFE_LEFT_MS) {
    await withSetupServer(ctx, { database: ctx.state.base, redis: ctx.redis }, (origin) => fetchAccessTokens(ctx, origin));
  }
  ctx.state.runs += 1;
  const database = copyDatabase(ctx.state.base, join(ctx.workDir, `run-${ctx.state.runs}.db`));
  const server = await startTessera(ctx, { database, redis: ctx.redis });
  // The peer shares the file and the feed, on the load generator's cores: never on the server core.
  const peer = await startTessera({ ...ctx, cores: { ...ctx.cores, server: ctx.cores.load } }, { database, redis: ctx.redis, measured: false });
  try {
    const seconds = phaseSeconds(durationSec);
    const url = `${server.origin}/v1/me`;
    const servers = { none: null, self: server.origin, peer: peer.origin };
    const token = await measurePhases(ctx, servers, { url, rotate: { kind: 'bearer', file: ctx.state.tokens } }, TOKEN_PHASES, seconds, 'token load');
    const session = await measurePhases(ctx, servers, { url, rotate: { kind: 'cookie', file: ctx.state.cookies } }, SESSION_PHASES, seconds, 'session load');
    return {
      rps: token.self.rps,
      p50ms: token.self.p50ms,
      p99ms: token.self.p99ms,
      tokenNoChurnRps: token.none.rps,
      tokenCostPct: costPct(token.self, token.none),
      tokenPeerChurnRps: token.peer.rps,
      tokenFeedCostPct: costPct(token.peer, token.none),
      sessionRps: session.self.rps,
      sessionP99ms: session.self.p99ms,
      sessionNoChurnRps: session.none.rps,
      sessionCostPct: costPct(session.self, session.none),
      sessionPeerChurnRps: session.peer.rps,
      sessionFeedCostPct: costPct(session.peer, session.none),
      revocationsPerSecond: Math.min(token.self.revocationsPerSecond, token.peer.revocationsPerSecond, session.self.revocationsPerSecond, session.peer.revocationsPerSecond),
    };
  } finally {
    await peer.stop();
    await server.stop();
  }
}

/** @type {import('./index.mjs').Scenario} */
export const tesseraRevocationChurn = {
  id: 'tessera-revocation-churn',
  fixedRate: false,
  title: 'Tessera token + session checks under 100 revocations/s',
  needsRedis: true,
  setup,
  measure,
};
