#!/usr/bin/env node
// npm run bench: runs every scenario (or those named by --only), each on fresh server processes,
// and writes bench/results/latest.json and latest.svg (partial.* for --only). See bench/README.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { barChart } from './lib/chart.mjs';
import { describeMachine, pickLoadGenerator, planCores } from './lib/machine.mjs';
import { ensurePeers } from './lib/peers.mjs';
import { REDIS_URL, assertRedis, deletePrefix } from './lib/redis.mjs';
import { consoleTable, fixedRateConsoleTable, fixedRateJson, fixedRateMarkdownTable, markdownTable, resultsJson, withCpuRatios, withRatios } from './lib/report.mjs';
import { runScenario } from './lib/runner.mjs';
import { BASELINE_ID, SCENARIOS } from './scenarios/index.mjs';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
/** The offered load of `--fixed-rate`: a rate that Tessera's and the bare servers hold on one core here with room to spare. */
const DEFAULT_RATE = 5000;
const USAGE = `usage: node bench/run.mjs [--fixed-rate] [--only id1,id2] [--list]
environment: BENCH_DURATION=10s  BENCH_WARMUP=2s  BENCH_RUNS=3  BENCH_QUIET_WAIT=30s  BENCH_LOADGEN=wrk|autocannon  BENCH_REDIS_URL=${REDIS_URL}
  BENCH_RATE=${DEFAULT_RATE} (with --fixed-rate)`;

/** "10s", "1m", "500ms" or a bare number of seconds, to whole seconds (wrk's unit). */
function seconds(name, fallback, min) {
  const raw = process.env[name] ?? fallback;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!match) throw new Error(`${name}: expected a duration such as 10s, got ${JSON.stringify(raw)}`);
  const value = Math.round(Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] ?? 's']);
  if (value < min) throw new Error(`${name}: at least ${min} s`);
  return value;
}

function readRate() {
  const rate = Number(process.env.BENCH_RATE ?? DEFAULT_RATE);
  if (!Number.isInteger(rate) || rate < 100 || rate > 100000) throw new Error('BENCH_RATE: requests a second, a whole number from 100 to 100000');
  return rate;
}

function readSettings(fixedRate) {
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  if (!Number.isInteger(runs) || runs < 1 || runs > 15) throw new Error('BENCH_RUNS: a whole number from 1 to 15');
  return {
    durationSec: seconds('BENCH_DURATION', '10s', 1),
    warmupSec: seconds('BENCH_WARMUP', '2s', 0),
    quietWaitSec: seconds('BENCH_QUIET_WAIT', '30s', 0),
    runs,
    generator: pickLoadGenerator(process.env.BENCH_LOADGEN),
    rate: fixedRate ? readRate() : undefined,
  };
}

/** Every scenario, or those named; a fixed-rate run leaves out those that are not a steady HTTP load (logins, hashes, churn). */
function selectScenarios(only, fixedRate) {
  const candidates = fixedRate ? SCENARIOS.filter((s) => s.start && s.fixedRate !== false) : SCENARIOS;
  if (!only) return candidates;
  const ids = only.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const excluded = ids.filter((id) => !candidates.some((s) => s.id === id));
  if (excluded.length > 0) throw new Error(`no fixed-rate run for ${excluded.join(', ')}`);
  return candidates.filter((s) => ids.includes(s.id));
}

async function runOne(scenario, base) {
  const ctx = { ...base, workDir: mkdtempSync(join(os.tmpdir(), `bench-${scenario.id}-`)), state: {} };
  ctx.redis = { url: REDIS_URL, prefix: `tessera-bench:${process.pid}:${scenario.id}:` };
  try {
    if (scenario.needsRedis) await assertRedis();
    return await runScenario(scenario, ctx, base.settings, console.log);
  } catch (error) {
    return { id: scenario.id, error: error.message };
  } finally {
    rmSync(ctx.workDir, { recursive: true, force: true });
    if (scenario.needsRedis) await deletePrefix(ctx.redis.prefix).catch((error) => console.log(`  Redis clean-up: ${error.message}`));
  }
}

function subtitle(machine, settings) {
  const pinning = machine.serverCpus === null ? 'nothing pinned (fewer than 2 cores)' : `server on CPU ${machine.serverCpus}, load on CPU ${machine.loadCpus}`;
  const load = settings.rate ? `fixed rate ${settings.rate} req/s (workers/fixed-rate.mjs)` : machine.loadGenerator;
  return `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${load}, ${pinning}, ` +
    `64 connections, median of ${settings.runs} × ${settings.durationSec} s`;
}

/** The fixed-rate tables, and fixed-rate.json (fixed-rate-partial.json for an --only run). */
function writeFixedRate(rows, byId, machine, only) {
  const withRatio = withCpuRatios(rows, BASELINE_ID);
  console.log(`\n${fixedRateConsoleTable(withRatio)}\n\nMarkdown:\n\n${fixedRateMarkdownTable(withRatio, byId)}\n`);
  const file = join(RESULTS_DIR, only ? 'fixed-rate-partial.json' : 'fixed-rate.json');
  writeFileSync(file, `${JSON.stringify(fixedRateJson(machine, withRatio), null, 2)}\n`);
  console.log(`bench: wrote ${file}`);
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean' }, 'fixed-rate': { type: 'boolean' } } });
  const fixedRate = values['fixed-rate'] ?? false;
  if (values.help) return console.log(USAGE);
  if (values.list) return SCENARIOS.forEach((s) => console.log(`${s.id.padEnd(26)} ${s.title}${s.pending ? ` (${s.pending})` : ''}`));

  const settings = readSettings(fixedRate);
  const selected = selectScenarios(values.only, fixedRate);
  if (settings.generator === 'autocannon' || selected.some((s) => s.needsPeers)) await ensurePeers(console.log);
  const cores = planCores();
  const machine = { ...describeMachine(cores, settings.generator), ...settings, date: new Date().toISOString() };
  delete machine.generator;
  if (!fixedRate) delete machine.rate;
  console.log(`bench: ${subtitle(machine, settings)}, warm-up ${settings.warmupSec} s`);
  if (!cores.pinned) console.log('bench: warning: server and load share the CPUs; figures are not comparable to pinned runs');

  const rows = [];
  for (const scenario of selected) {
    console.log(`\n${scenario.id}: ${scenario.title}`);
    const row = await runOne(scenario, { cores, settings });
    if (row.error) console.log(`  ${row.error}`);
    rows.push(row);
  }

  // Recorded with the results: a figure taken while other work ran is not one to publish.
  machine.otherCpuShareMax = Number(Math.max(0, ...rows.map((row) => row.busiest ?? 0)).toFixed(2));
  const byId = new Map(SCENARIOS.map((s) => [s.id, s]));
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (fixedRate) {
    writeFixedRate(rows, byId, machine, values.only);
  } else {
    const withRatio = withRatios(rows, BASELINE_ID, byId);
    console.log(`\n${consoleTable(withRatio, byId)}\n\nMarkdown:\n\n${markdownTable(withRatio, byId)}\n`);
    // Only a run of every scenario replaces the committed results; a --only run writes partial.*.
    const name = values.only ? 'partial' : 'latest';
    writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(resultsJson(machine, withRatio), null, 2)}\n`);
    writeFileSync(join(RESULTS_DIR, `${name}.svg`), barChart(withRatio, byId, BASELINE_ID, subtitle(machine, settings)));
    console.log(`bench: wrote ${join(RESULTS_DIR, `${name}.json`)} and ${name}.svg`);
  }
  if (machine.otherCpuShareMax > 0.1) {
    console.log(`bench: warning: other work kept up to ${Math.round(machine.otherCpuShareMax * 100)}% of the CPUs busy before or during a run; these figures are not ones to publish`);
  }
}

main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
