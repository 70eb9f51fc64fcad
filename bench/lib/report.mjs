// The results as JSON (bench/results/latest.json), as a console table and as a Markdown table.

const CORE_KEYS = new Set(['id', 'rps', 'p50ms', 'p99ms', 'ratioToFastifyBare', 'error', 'runsRps', 'busiest']);
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
