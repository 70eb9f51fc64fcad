import { fileURLToPath } from 'node:url';
import { runToEnd } from '../lib/proc.mjs';

const WORKER = fileURLToPath(new URL('../workers/argon2-saturate.mjs', import.meta.url));

/** @type {import('./index.mjs').Scenario} */
export const argon2Raw = {
  id: 'argon2-raw',
  title: 'raw Argon2id hash rate (m=19456, t=2, p=1), server cores',
  unit: 'hashes/s',
  // Not an HTTP load: the worker runs on the server's core(s), what tessera-login gets to hash with.
  async measure(ctx, durationSec) {
    // One hash in flight per core keeps it busy (hashes run on libuv's pool, the event loop only
    // schedules them); a second per core only time-slices, and measured 5-15 % slower here.
    const concurrency = String(ctx.cores.serverCpuCount);
    const out = await runToEnd(process.execPath, [WORKER, String(durationSec), concurrency], {
      cpus: ctx.cores.server,
      timeoutMs: durationSec * 1000 + 20000,
    });
    return JSON.parse(out.trim().split('\n').at(-1));
  },
};
