// Drives one load against a target with wrk, or autocannon when wrk is not installed,
// and returns the same figures from either.
import { fileURLToPath } from 'node:url';
import { runToEnd } from './proc.mjs';
import { WRK_SCRIPTS } from './rotation.mjs';

const LUA_DIR = fileURLToPath(new URL('../lua/', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../peers/autocannon-load.mjs', import.meta.url));
const FIXED_RATE = fileURLToPath(new URL('../workers/fixed-rate.mjs', import.meta.url));
// A run may overrun its duration by this much (connection set-up, wrk's final report) before it is killed.
const OVERRUN_MS = 20000;

/**
 * @typedef {object} LoadFigures
 * @property {number} requests
 * @property {number} rps
 * @property {number} p50ms
 * @property {number} p99ms
 * @property {number} httpErrors responses with a status of 400 or more
 * @property {number} socketErrors connect, read and write errors and timeouts
 * @property {number} [offered] the rate asked for, in a fixed-rate load
 * @property {number} [late] requests of a fixed-rate load that found every connection busy
 */

/**
 * As many requests as the server answers (`rate` unset), or `rate` requests a second whatever it
 * answers (workers/fixed-rate.mjs).
 * @returns {Promise<LoadFigures>}
 */
export async function runLoad({ generator, cores, target, durationSec, rate }) {
  const connections = target.connections ?? 64;
  const threads = Math.min(cores.loadThreads, connections);
  const options = { cpus: cores.load, timeoutMs: durationSec * 1000 + OVERRUN_MS };
  if (rate) return runFixedRate(target, { connections, durationSec, rate }, options);
  return generator === 'wrk'
    ? runWrk(target, { connections, threads, durationSec }, options)
    : runAutocannon(target, { connections, durationSec }, options);
}

async function runWrk(target, { connections, threads, durationSec }, options) {
  const script = LUA_DIR + WRK_SCRIPTS[target.rotate?.kind ?? 'none'];
  const headers = Object.entries(target.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const args = [
    ...['-t', String(threads), '-c', String(connections), '-d', `${durationSec}s`, '--timeout', '10s'],
    ...['-s', script, ...headers, target.url],
    ...(target.rotate ? ['--', target.rotate.file] : []),
  ];
  const env = { BENCH_METHOD: target.method ?? 'GET', ...(target.body === undefined ? {} : { BENCH_BODY: target.body }) };
  const { result } = resultOf(await runToEnd('wrk', args, { ...options, env }), 'wrk');
  return result;
}

/** The BENCH_RESULT line a generator prints, as figures (and the raw line, for what only one generator reports). */
function resultOf(out, generator) {
  const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`${generator} printed no result: ${out.slice(-600)}`);
  const r = JSON.parse(line.slice('BENCH_RESULT '.length));
  return {
    raw: r,
    result: {
      requests: r.requests,
      rps: r.requests / (r.durationUs / 1e6),
      p50ms: r.p50Us / 1000,
      p99ms: r.p99Us / 1000,
      httpErrors: r.httpErrors,
      socketErrors: r.connectErrors + r.readErrors + r.writeErrors + r.timeouts,
    },
  };
}

async function runAutocannon(target, { connections, durationSec }, options) {
  const config = JSON.stringify({ target, connections, durationSec });
  const out = await runToEnd(process.execPath, [AUTOCANNON, config], options);
  return JSON.parse(out.trim().split('\n').at(-1));
}

async function runFixedRate(target, { connections, durationSec, rate }, options) {
  const config = JSON.stringify({ target, connections, durationSec, rate });
  const { raw, result } = resultOf(await runToEnd(process.execPath, [FIXED_RATE, config], options), 'the fixed-rate generator');
  return { ...result, offered: raw.offered, late: raw.late };
}
