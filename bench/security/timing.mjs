// Login enumeration by timing (issue "Security hardening"; ASVS 5.0 V6.3.8; OWASP Authentication
// cheat sheet): the medians of interleaved samples of POST /v1/session for an unknown user, a wrong
// password and a disabled account, and their ratios. Bounded in samples and in time; 127.0.0.1 only.
//
//   npx tsc -p tsconfig.build.json && node bench/security/timing.mjs [--samples=150] [--max-seconds=180]
//
// Each case uses fresh names, so that no account reaches the per-account back-off (5 failures), and
// every request carries its own X-Forwarded-For from a trusted proxy (TESSERA_TRUST_PROXY=127.0.0.1),
// so that the per-address limit (50 failures / 15 min) does not interfere. Disabled accounts are
// disabled directly in the SQLite file: the login path reads the user store without a cache.
import BetterSqlite3 from 'better-sqlite3';
import http from 'node:http';
import { WRONG, PASSWORD, clientAddress, fmt, median, option, percentile, registerUsers, send, startServer } from './lib.mjs';

const samples = option('samples', 150, { min: 10, max: 2000 });
const maxSeconds = option('max-seconds', 180, { min: 10, max: 900 });
const warmup = Math.min(10, samples);
const perAccount = 4; // below the 5 free failures

const server = await startServer({ TESSERA_TRUST_PROXY: '127.0.0.1' });
let exitCode = 0;
try {
  const accounts = Math.ceil((samples + warmup) / perAccount);
  const active = Array.from({ length: accounts }, (_, i) => `active${i}`);
  const disabled = Array.from({ length: accounts }, (_, i) => `disabled${i}`);
  const started = Date.now();
  process.stdout.write(`setting up ${accounts * 2} accounts on ${server.origin} ... `);
  await registerUsers(server.origin, [...active, ...disabled]);
  const db = new BetterSqlite3(server.dbPath);
  db.pragma('busy_timeout = 5000');
  const disable = db.prepare('update users set disabled = 1 where username_key = ?');
  for (const name of disabled) disable.run(name);
  db.close();
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const cases = {
    'unknown user': (i) => ({ username: `nobody-${i}-${Math.random().toString(36).slice(2, 8)}`, password: PASSWORD }),
    'wrong password': (i) => ({ username: active[Math.floor(i / perAccount)], password: WRONG }),
    'disabled account': (i) => ({ username: disabled[Math.floor(i / perAccount)], password: PASSWORD }),
  };
  const names = Object.keys(cases);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  const deadline = Date.now() + maxSeconds * 1000;
  let address = 0;
  let rounds = 0;
  for (let i = 0; i < samples + warmup && Date.now() < deadline; i++) {
    // A fresh random order every round, so that drift and caching hit each case alike.
    const order = [...names].sort(() => Math.random() - 0.5);
    for (const name of order) {
      const res = await send(`${server.origin}/v1/session`, { method: 'POST', agent, body: cases[name](i), headers: { 'x-forwarded-for': clientAddress(address++) }, timeoutMs: 10_000 });
      if (res.status !== 401 || !res.body.includes('"invalid_credentials"')) {
        console.error(`unexpected answer for ${name}: ${res.status} ${res.body ?? res.error ?? (res.timedOut ? 'timeout' : '')}`);
        exitCode = 1;
      }
      if (i >= warmup) times[name].push(res.ms);
    }
    if (i >= warmup) rounds++;
  }
  agent.destroy();

  const base = median(times['unknown user']);
  console.log(`\n${rounds} interleaved rounds (after ${warmup} warm-up rounds), one request at a time, POST /v1/session:`);
  console.log('case               median      p10         p90         ratio to unknown');
  for (const name of names) {
    const m = median(times[name]);
    console.log(`${name.padEnd(18)} ${fmt(m).padEnd(11)} ${fmt(percentile(times[name], 10)).padEnd(11)} ${fmt(percentile(times[name], 90)).padEnd(11)} ${(m / base).toFixed(3)}`);
  }
  const ratios = names.slice(1).map((name) => median(times[name]) / base);
  const spread = Math.max(...ratios.map((r) => Math.abs(r - 1)));
  console.log(`\nlargest median difference: ${(spread * 100).toFixed(1)} % (${spread <= 0.1 ? 'within' : 'OUTSIDE'} ±10 %)`);
  if (rounds < 10) {
    console.error('too few rounds within the time bound for a meaningful median');
    exitCode = 1;
  }
} finally {
  await server.stop();
}
process.exitCode = exitCode;
