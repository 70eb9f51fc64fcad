// Runs one scenario: set-up, fresh processes for each run, and the median of the runs.
import { httpRequest } from './http.mjs';
import { runLoad } from './load.mjs';
import { cpuBusyShare, meterLoad } from './cpu.mjs';
import { killAll, liveGroups } from './proc.mjs';
import { nthRequest, readEntries } from './rotation.mjs';
import { median } from './stats.mjs';

const SETUP_TIMEOUT_MS = 10 * 60_000; // seeding thousands of users hashes thousands of passwords
const START_TIMEOUT_MS = 2 * 60_000;
const ALONGSIDE_TIMEOUT_MS = 15_000;
const MAX_ERROR_SHARE = 0.01;
const QUIET_BUSY_SHARE = 0.1;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits, for a bounded time, until other processes leave the CPUs alone: the machine is shared,
 * and a test suite running next to the bench lowers every figure. Returns the last busy share.
 */
async function waitForQuiet(log, waitSec) {
  const started = Date.now();
  let busy = await cpuBusyShare(1000);
  if (busy === null || busy <= QUIET_BUSY_SHARE) return busy;
  log(`  machine ${(busy * 100).toFixed(0)}% busy with other work; waiting up to ${waitSec} s for it to settle`);
  while (busy > QUIET_BUSY_SHARE && Date.now() - started < waitSec * 1000) busy = await cpuBusyShare(1000);
  log(busy > QUIET_BUSY_SHARE ? `  warning: still ${(busy * 100).toFixed(0)}% busy; this run may read low` : `  settled after ${Math.round((Date.now() - started) / 1000)} s`);
  return busy;
}

/** The first request of the load, sent once: a target that answers 401 would be measured as fast. */
async function preflight(target) {
  const entries = target.rotate ? readEntries(target.rotate.file) : null;
  const { method, headers, body } = nthRequest(target, entries, 0);
  const response = await httpRequest(target.url, { method, headers, body, timeoutMs: 10000 });
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${method} ${target.url} answered ${response.status} before the load: ${response.body.slice(0, 200)}`);
  }
}

function checkErrors(figures) {
  const limit = figures.requests * MAX_ERROR_SHARE;
  if (figures.requests === 0) throw new Error('no request completed');
  if (figures.httpErrors > limit) throw new Error(`${figures.httpErrors} of ${figures.requests} responses had a status of 400 or more`);
  if (figures.socketErrors > limit) throw new Error(`${figures.socketErrors} socket errors or timeouts in ${figures.requests} requests`);
}

async function httpRun(scenario, ctx, settings) {
  const target = await withTimeout(scenario.start(ctx), START_TIMEOUT_MS, `${scenario.id} start`);
  try {
    await preflight(target);
    const rate = fixedRate(scenario, settings);
    if (settings.warmupSec > 0) await runLoad({ ...settings, cores: ctx.cores, target, durationSec: settings.warmupSec, rate });
    const aborter = new AbortController();
    const sideTasks = (target.alongside ?? []).map((task) => task(aborter.signal));
    // Every child alive now is a server of this target: the load generator has not started.
    const meter = meterLoad(liveGroups(), ctx.cores);
    let figures;
    try {
      figures = await runLoad({ ...settings, cores: ctx.cores, target, durationSec: settings.durationSec, rate });
    } finally {
      aborter.abort();
    }
    const cpu = meter.stop();
    const sideFigures = await withTimeout(Promise.all(sideTasks), ALONGSIDE_TIMEOUT_MS, 'the tasks alongside the load');
    checkErrors(figures);
    const core = { rps: figures.rps, p50ms: figures.p50ms, p99ms: figures.p99ms };
    if (rate) Object.assign(core, fixedRateFigures(figures, cpu));
    return { figures: Object.assign(core, ...sideFigures), cpu };
  } finally {
    await target.stop();
  }
}

/** The rate of a fixed-rate run (settings.rate, lowered to what the scenario can hold), or undefined. */
function fixedRate(scenario, settings) {
  return settings.rate ? Math.min(settings.rate, scenario.fixedRateCap ?? Infinity) : undefined;
}

/**
 * The server's CPU time per answered request, in microseconds (every thread of every server process,
 * user + system, from /proc/PID/stat), and the offered rate: the figures of a fixed-rate run.
 */
function fixedRateFigures(figures, cpu) {
  const cpuUsPerRequest = typeof cpu?.serverCpuSeconds === 'number' ? (cpu.serverCpuSeconds * 1e6) / figures.requests : null;
  return { offered: figures.offered, cpuUsPerRequest, serverCores: cpu?.serverCores ?? null, late: figures.late };
}

/** The larger share of the server's or the load generator's CPUs that other processes took. */
const contention = (cpu) => Math.max(cpu?.othersOnServerCpu ?? 0, cpu?.othersOnLoadCpus ?? 0);

/** One run's figures, and how much CPU the server had: below ~0.95 cores it waited or was crowded out. */
function describeRun(scenario, figures, cpu) {
  let line = `${Math.round(figures.rps)} ${scenario.unit ?? 'req/s'}, p50 ${figures.p50ms.toFixed(2)} ms, p99 ${figures.p99ms.toFixed(2)} ms`;
  if (typeof figures.cpuUsPerRequest === 'number') line += ` of ${figures.offered} offered; server CPU ${figures.cpuUsPerRequest.toFixed(1)} µs a request`;
  if (typeof cpu?.serverCores === 'number') line += `; server used ${cpu.serverCores.toFixed(2)} cores`;
  if (typeof cpu?.othersOnServerCpu === 'number') {
    const pct = (share) => `${(share * 100).toFixed(0)}%`;
    line += `; other processes took ${pct(cpu.othersOnServerCpu)} of its CPU, ${pct(cpu.othersOnLoadCpus)} of the load's`;
    // The shared Redis is not pinned, so it runs on either side and counts as "other".
    if (contention(cpu) > QUIET_BUSY_SHARE) line += scenario.needsRedis ? ' (Redis included)' : ' (contended)';
  }
  return line;
}

/**
 * @param {import('../scenarios/index.mjs').Scenario} scenario
 * @param {import('../scenarios/index.mjs').RunContext} ctx
 * @returns {Promise<{ id: string, rps?: number, p50ms?: number, p99ms?: number, error?: string, runsRps?: number[], busiest?: number }>}
 *   `busiest`: the largest share of the CPUs, or of the server's CPU during a load, that other work took.
 */
export async function runScenario(scenario, ctx, settings, log) {
  if (scenario.pending) return { id: scenario.id, error: scenario.pending };
  const runs = [];
  let busiest = 0;
  try {
    if (scenario.setup) await withTimeout(scenario.setup(ctx), SETUP_TIMEOUT_MS, `${scenario.id} setup`);
    for (let i = 1; i <= settings.runs; i++) {
      busiest = Math.max(busiest, (await waitForQuiet(log, settings.quietWaitSec)) ?? 0);
      const { figures, cpu } = scenario.measure
        ? { figures: await withTimeout(scenario.measure(ctx, settings.durationSec), START_TIMEOUT_MS + settings.durationSec * 1000, scenario.id) }
        : await httpRun(scenario, ctx, settings);
      // With Redis on the machine, 'other' CPU includes the scenario's own Redis work: not contention.
      if (!scenario.needsRedis) busiest = Math.max(busiest, contention(cpu));
      log(`  run ${i}/${settings.runs}: ${describeRun(scenario, figures, cpu)}`);
      runs.push(figures);
    }
  } catch (error) {
    return { id: scenario.id, error: error.message };
  } finally {
    if (scenario.teardown) await withTimeout(scenario.teardown(ctx), START_TIMEOUT_MS, `${scenario.id} teardown`).catch((error) => log(`  teardown: ${error.message}`));
    if (killAll() > 0) log('  stopped processes the scenario left running');
  }
  const keys = Object.keys(runs[0]);
  const medians = Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[key]))]));
  const runsCpuUs = runs.some((run) => typeof run.cpuUsPerRequest === 'number') ? { runsCpuUs: runs.map((run) => run.cpuUsPerRequest) } : {};
  return { id: scenario.id, ...medians, runsRps: runs.map((run) => run.rps), ...runsCpuUs, busiest };
}
