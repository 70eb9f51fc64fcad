// bench/results/latest.svg: one horizontal bar of req/s per scenario, the ratio to bare Fastify
// written on it. Hand-written SVG, so the README needs no chart library and no script.

const WIDTH = 960;
const LABEL_WIDTH = 250;
const BAR_LEFT = LABEL_WIDTH + 10;
const BAR_SPACE = WIDTH - BAR_LEFT - 20;
const ROW = 30;
const BAR = 20;
const TOP = 64;
const CHAR_PX = 7; // rough width of one character at 13 px, to decide whether a label fits on its bar

const COLOURS = { tessera: '#0f766e', baseline: '#64748b', bound: '#1e293b' };

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const int = (n) => Math.round(n).toLocaleString('en-US');

function colour(id, baselineId) {
  if (id === baselineId) return COLOURS.bound;
  return id.startsWith('tessera-') ? COLOURS.tessera : COLOURS.baseline;
}

function bar(row, y, max, baselineId, unit) {
  const label = `<text x="${LABEL_WIDTH}" y="${y + 15}" text-anchor="end">${escape(row.id)}</text>`;
  if (typeof row.rps !== 'number') {
    const why = row.error.length > 90 ? `${row.error.slice(0, 87)}...` : row.error;
    return `${label}\n<text x="${BAR_LEFT}" y="${y + 15}" fill="#94a3b8" font-style="italic">${escape(why)}</text>`;
  }
  const width = Math.max(2, (row.rps / max) * BAR_SPACE);
  const ratio = typeof row.ratioToFastifyBare === 'number' ? ` · ${row.ratioToFastifyBare.toFixed(2)}×` : '';
  const text = `${int(row.rps)} ${unit ?? 'req/s'}${ratio}`;
  const inside = text.length * CHAR_PX + 16 < width;
  const textX = inside ? BAR_LEFT + width - 8 : BAR_LEFT + width + 6;
  return [
    label,
    `<rect x="${BAR_LEFT}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" rx="3" fill="${colour(row.id, baselineId)}"/>`,
    `<text x="${textX.toFixed(1)}" y="${y + 15}" text-anchor="${inside ? 'end' : 'start'}" fill="${inside ? '#fff' : '#0f172a'}">${escape(text)}</text>`,
  ].join('\n');
}

/**
 * @param {{ id: string, rps?: number, ratioToFastifyBare?: number | null, error?: string }[]} rows
 * @param {Map<string, { unit?: string }>} scenarios
 * @param {string} subtitle how the figures were taken
 */
export function barChart(rows, scenarios, baselineId, subtitle) {
  const max = Math.max(1, ...rows.map((row) => row.rps ?? 0));
  const height = TOP + rows.length * ROW + 16;
  const bars = rows.map((row, i) => bar(row, TOP + i * ROW, max, baselineId, scenarios.get(row.id)?.unit));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="26" font-size="17" font-weight="600" fill="#0f172a">GET /v1/me throughput, req/s (× bare Fastify)</text>
<text x="20" y="46" fill="#475569">${escape(subtitle)}</text>
<g fill="#0f172a">
${bars.join('\n')}
</g>
</svg>
`;
}
