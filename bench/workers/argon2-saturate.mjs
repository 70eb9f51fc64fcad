// Hashes passwords with Argon2id at the parameters Tessera uses by default (OWASP: m=19456 KiB,
// t=2, p=1), or at M and T as TESSERA_ARGON2=m=M,t=T would set them, for a fixed time, keeping
// enough hashes in flight to keep every core it is pinned to busy.
// Prints {"rps","p50ms","p99ms"}: hashes a second and the time of one hash.
// Usage: node argon2-saturate.mjs DURATION_SEC CONCURRENCY [M T]
import { hash } from '@node-rs/argon2';
import { performance } from 'node:perf_hooks';
import { percentile } from '../lib/stats.mjs';

// No `algorithm`: Argon2id is the default, and the `Algorithm` enum is type-only (empty at run time).
const [, , duration, inFlight, memoryCost = '19456', timeCost = '2'] = process.argv;
const PARAMS = { memoryCost: Number(memoryCost), timeCost: Number(timeCost), parallelism: 1 };
const EXPECTED_PREFIX = `$argon2id$v=19$m=${memoryCost},t=${timeCost},p=1$`;
const durationMs = Number(duration) * 1000;
const concurrency = Number(inFlight);

if (!(await hash('check', PARAMS)).startsWith(EXPECTED_PREFIX)) throw new Error(`not Argon2id at m=${memoryCost}, t=${timeCost}`);

const latencies = [];
const started = performance.now();
const deadline = started + durationMs;

async function worker(n) {
  while (performance.now() < deadline) {
    const begun = performance.now();
    await hash(`bench-password-${n}-${latencies.length}`, PARAMS);
    latencies.push(performance.now() - begun);
  }
}

await Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n)));
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    rps: latencies.length / seconds,
    p50ms: percentile(latencies, 50),
    p99ms: percentile(latencies, 99),
  }),
);
