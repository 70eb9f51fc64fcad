// The results as JSON (bench/results/latest.json), as a console table and as a Markdown table.

const CORE_KEYS = new Set(['id', 'rps', 'p50ms', 'p99ms', 'ratioToFastifyBare', 'error', 'runsRps', 'busiest']);
const FIXED_RATE_KEYS = new Set([...CORE_KEYS, 'offered', 'cpuUsPerRequest', 'cpuRatioToFastifyBare', 'serverCores', 'late', 'runsCpuUs']);
const round = (value, digits) => (typeof value === 'number' ? Number(value.toFixed(digits)) : value);

/**
 * Adds each row's ratio to the baseline's req/s, when the baseline ran in this run. A row that
 * counts something else (argon2-raw counts hashes) gets null: that quotient would mean nothing.
 */
export function withRatios(rows, baselineId, scenarios) {
  const base = rows.find((row) => row.id === baselineId && typeof row.rps === 'number')?.rps ?? null;
  return rows.map((row) => {
    const comparable = base && typeof row.rps === 'number' && !scenarios.get(row.id)?.unit;
    return { ...row, ratioToFastifyBare: comparable ? row.rps / base : null };
  });
}

/** Figures from tasks alongside a load (healthz latency, revocations a second), by name. */
function extras(row) {
  return Object.entries(row).filter(([key]) => !CORE_KEYS.has(key));
}

/** The shape issue 6 asks for; extra figures follow the four, and `error` replaces them. */
export function resultsJson(machine, rows) {
  const scenarios = rows.map((row) => {
    const out = {
      id: row.id,
      rps: round(row.rps ?? null, 1),
      p50ms: round(row.p50ms ?? null, 3),
      p99ms: round(row.p99ms ?? null, 3),
      ratioToFastifyBare: round(row.ratioToFastifyBare, 4),
    };
    for (const [key, value] of extras(row)) out[key] = round(value, 3);
    if (row.error) out.error = row.error;
    return out;
  });
  return { machine, scenarios };
}

const int = (n) => (typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n) => (typeof n === 'number' ? n.toFixed(2) : '—');
const ratio = (n) => (typeof n === 'number' ? n.toFixed(2) : '—');

function note(row, unit) {
  if (row.error) return row.error;
  const parts = extras(row).map(([key, value]) => `${key} ${typeof value === 'number' ? round(value, 2) : value}`);
  if (unit) parts.unshift(unit);
  return parts.join(', ');
}

function cells(row, scenario) {
  return [row.id, int(row.rps), ms(row.p50ms), ms(row.p99ms), ratio(row.ratioToFastifyBare), note(row, scenario?.unit)];
}

/** A fixed-width table for the terminal, with the req/s of each run. */
export function consoleTable(rows, scenarios) {
  const header = ['id', 'req/s', 'p50 ms', 'p99 ms', '× bare', 'runs req/s', 'note'];
  const body = rows.map((row) => {
    const [id, rps, p50, p99, r, n] = cells(row, scenarios.get(row.id));
    return [id, rps, p50, p99, r, (row.runsRps ?? []).map(int).join(' / '), n];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => String(line[i]).length)));
  const format = (line) => line.map((cell, i) => (i === 0 || i >= 5 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ').trimEnd();
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(format)].join('\n');
}

/** The table for the README. */
export function markdownTable(rows, scenarios) {
  const lines = ['| scenario | what | req/s | p50 ms | p99 ms | × bare Fastify | note |', '|---|---|--:|--:|--:|--:|---|'];
  for (const row of rows) {
    const scenario = scenarios.get(row.id);
    const [id, rps, p50, p99, r, n] = cells(row, scenario);
    lines.push(`| \`${id}\` | ${scenario?.title ?? ''} | ${rps} | ${p50} | ${p99} | ${r} | ${n.replaceAll('|', '\\|')} |`);
  }
  return lines.join('\n');
}

/** Adds each row's server CPU a request as a multiple of the baseline's, in a fixed-rate run. */
export function withCpuRatios(rows, baselineId) {
  const base = rows.find((row) => row.id === baselineId && typeof row.cpuUsPerRequest === 'number')?.cpuUsPerRequest ?? null;
  return rows.map((row) => ({ ...row, cpuRatioToFastifyBare: base && typeof row.cpuUsPerRequest === 'number' ? row.cpuUsPerRequest / base : null }));
}

/** The fixed-rate results as JSON: offered and answered rate, server CPU a request and its ratio, latency. */
export function fixedRateJson(machine, rows) {
  const scenarios = rows.map((row) => {
    const out = {
      id: row.id,
      offered: row.offered ?? null,
      rps: round(row.rps ?? null, 1),
      cpuUsPerRequest: round(row.cpuUsPerRequest ?? null, 2),
      cpuRatioToFastifyBare: round(row.cpuRatioToFastifyBare ?? null, 3),
      p50ms: round(row.p50ms ?? null, 3),
      p99ms: round(row.p99ms ?? null, 3),
      serverCores: round(row.serverCores ?? null, 3),
      late: row.late ?? null,
    };
    for (const [key, value] of Object.entries(row).filter(([key]) => !FIXED_RATE_KEYS.has(key))) out[key] = round(value, 3);
    if (row.error) out.error = row.error;
    return out;
  });
  return { machine, scenarios };
}

const us = (n) => (typeof n === 'number' ? n.toFixed(1) : '—');

function fixedRateCells(row) {
  return [row.id, int(row.offered), int(row.rps), us(row.cpuUsPerRequest), ratio(row.cpuRatioToFastifyBare), ms(row.p50ms), ms(row.p99ms)];
}

/** The fixed-rate table for the terminal, with each run's CPU a request. */
export function fixedRateConsoleTable(rows) {
  const header = ['id', 'offered', 'req/s', 'CPU µs/req', '× bare', 'p50 ms', 'p99 ms', 'runs µs/req', 'note'];
  const body = rows.map((row) => [...fixedRateCells(row), (row.runsCpuUs ?? []).map(us).join(' / '), row.error ?? '']);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => String(line[i]).length)));
  const format = (line) => line.map((cell, i) => (i === 0 || i >= 7 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ').trimEnd();
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(format)].join('\n');
}

/** The fixed-rate table for the README. */
export function fixedRateMarkdownTable(rows, scenarios) {
  const lines = [
    '| scenario | what | offered req/s | answered req/s | server CPU µs/request | × bare Fastify | p50 ms | p99 ms |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const [id, offered, rps, cpu, r, p50, p99] = fixedRateCells(row);
    const title = row.error ? `${scenarios.get(row.id)?.title ?? ''}: ${row.error}` : scenarios.get(row.id)?.title ?? '';
    lines.push(`| \`${id}\` | ${title.replaceAll('|', '\\|')} | ${offered} | ${rps} | ${cpu} | ${r} | ${p50} | ${p99} |`);
  }
  return lines.join('\n');
}
