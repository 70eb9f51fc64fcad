// The request a target sends, in JavaScript: the mirror of lua/*-rotate.lua, used by the
// autocannon fallback and by the one request checked before each load.
import { readFileSync } from 'node:fs';

/** The wrk script for each kind of rotation; `none` sends the same request every time. */
export const WRK_SCRIPTS = { none: 'static.lua', bearer: 'bearer-rotate.lua', cookie: 'cookie-rotate.lua', login: 'login-rotate.lua' };

export function readEntries(file) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  if (lines.length === 0) throw new Error(`no entries in ${file}`);
  return lines;
}

/** Same block and order as login-rotate.lua: 198.18.0.0/15, reserved for benchmarks (RFC 2544). */
export function benchmarkAddress(n) {
  const i = n % 131072;
  return `198.${18 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
}

/**
 * The method, headers and body of the `n`th request of a target.
 * @param {{ method?: string, headers?: Record<string, string>, body?: string, rotate?: { kind: 'bearer'|'cookie'|'login' } }} target
 * @param {string[] | null} entries the lines of target.rotate.file
 */
export function nthRequest(target, entries, n) {
  const headers = { ...target.headers };
  const base = { method: target.method ?? 'GET', headers, body: target.body };
  if (!target.rotate) return base;
  const entry = entries[n % entries.length];
  switch (target.rotate.kind) {
    case 'bearer':
      return { ...base, headers: { ...headers, authorization: `Bearer ${entry}` } };
    case 'cookie':
      return { ...base, headers: { ...headers, cookie: entry } };
    case 'login': {
      const tab = entry.indexOf('\t');
      if (tab < 1) throw new Error('expected username<TAB>password lines');
      const body = JSON.stringify({ username: entry.slice(0, tab), password: entry.slice(tab + 1) });
      const address = benchmarkAddress(n);
      return { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'x-forwarded-for': address }, body };
    }
    default:
      throw new Error(`unknown rotation ${target.rotate.kind}`);
  }
}
