// Every scenario of `npm run bench`, in the order of the table (issue 6).
import { argon2Raw } from './argon2-raw.mjs';
import { betterAuthSession } from './better-auth-session.mjs';
import { expressSessionRedis } from './express-session-redis.mjs';
import { fastifyBare } from './fastify-bare.mjs';
import { joseHookEddsa } from './jose-hook-eddsa.mjs';
import { tesseraLogin, tesseraRevocationChurn, tesseraSessionScenarios, tesseraTokenScenarios } from './tessera.mjs';

/**
 * What the harness hands a scenario. One context per scenario, shared by its runs.
 * @typedef {object} RunContext
 * @property {{ pinned: boolean, server: string | null, load: string | null, loadThreads: number, serverCpuCount: number }} cores
 *   taskset CPU lists; startServer() and runToEnd(..., { cpus: ctx.cores.server }) apply them.
 * @property {string} workDir a fresh directory for this scenario's files, removed after it
 * @property {{ url: string, prefix: string }} redis the shared Redis; every key under `prefix` is deleted after the scenario
 * @property {Record<string, unknown>} state anything setup() leaves for start() and teardown()
 */

/**
 * What start() returns: a server ready for load. The load is GET `url` with `headers` unless set
 * otherwise; with `rotate`, each request takes the next line of `rotate.file` (lua/*-rotate.lua):
 * `bearer` sends `Authorization: Bearer <line>`, `cookie` sends `Cookie: <line>`, `login` POSTs
 * {"username","password"} from "username<TAB>password" lines with a fresh X-Forwarded-For.
 * @typedef {object} Target
 * @property {string} url
 * @property {string} [method]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {{ kind: 'bearer' | 'cookie' | 'login', file: string }} [rotate]
 * @property {number} [connections] 64 unless set
 * @property {Array<(signal: AbortSignal) => Promise<Record<string, number | null>>>} [alongside]
 *   tasks run during the measured load (lib/alongside.mjs); their figures join the row
 * @property {() => Promise<void>} stop stops every process start() started
 */

/**
 * @typedef {object} Figures
 * @property {number} rps
 * @property {number} p50ms
 * @property {number} p99ms
 */

/**
 * A row of the results. Exactly one of `start` (an HTTP load), `measure` (anything else) or
 * `pending` (a stub) is set. Every run gets fresh processes; each figure is the median of the runs.
 * @typedef {object} Scenario
 * @property {string} id the id in bench/results/latest.json
 * @property {string} title one line for the tables
 * @property {string} [unit] what `rps` counts when not requests a second
 * @property {boolean} [needsPeers] bench/peers/node_modules is installed first (npm ci) when missing
 * @property {boolean} [needsRedis] Redis is checked before the scenario runs, and `ctx.redis.prefix` cleaned after
 * @property {string} [pending] why there is no figure yet; printed and written as the row's error
 * @property {boolean} [fixedRate] false leaves the scenario out of `--fixed-rate` runs (a login or churn load is not a steady check)
 * @property {number} [fixedRateCap] the most requests a second a `--fixed-rate` run offers it: a server cannot be measured at a rate it does not hold
 * @property {(ctx: RunContext) => Promise<void>} [setup] once, before the runs
 * @property {(ctx: RunContext) => Promise<Target>} [start] once a run
 * @property {(ctx: RunContext, durationSec: number) => Promise<Figures>} [measure] once a run
 * @property {(ctx: RunContext) => Promise<void>} [teardown] once, after the runs, even after a failure
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  fastifyBare,
  ...tesseraSessionScenarios,
  ...tesseraTokenScenarios,
  expressSessionRedis,
  joseHookEddsa,
  betterAuthSession,
  tesseraLogin,
  argon2Raw,
  tesseraRevocationChurn,
];

/** The reference every ratio is taken against. */
export const BASELINE_ID = fastifyBare.id;
