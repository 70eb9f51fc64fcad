// Work that runs next to a load, from the harness process, and reports figures of its own.
// Each is a function (signal) => Promise<Record<string, number>>, for a target's `alongside` list:
// the harness starts it with the load and aborts the signal when the load ends.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from './http.mjs';
import { percentile } from './stats.mjs';

const MAX_SAMPLES = 100000;

/**
 * GETs of `url` on one kept-alive connection, one every `intervalMs` (a slow answer delays the
 * next, so there is never more than one in flight), recording each latency: what a health check
 * sees while the server is under load. A probe every 10 ms gives 1,000 samples in a 10 s run, enough
 * for a p99, without adding a load of its own (back-to-back probes took ~10 % of the server's core).
 * Reports `${name}P50ms`, `${name}P99ms`, `${name}Count` and `${name}Errors` (non-2xx answers and
 * failures, each after a 5 s limit).
 */
export function latencyProbe(url, { name = 'healthz', intervalMs = 10 } = {}) {
  return async (signal) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const latencies = [];
    let errors = 0;
    try {
      while (!signal.aborted && latencies.length + errors < MAX_SAMPLES) {
        const started = process.hrtime.bigint();
        const next = Date.now() + intervalMs;
        try {
          const { status } = await httpRequest(url, { agent, timeoutMs: 5000 });
          if (status < 200 || status > 299) errors++;
          else latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        } catch {
          errors++;
        }
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
      }
    } finally {
      agent.destroy();
    }
    return {
      [`${name}P50ms`]: percentile(latencies, 50),
      [`${name}P99ms`]: percentile(latencies, 99),
      [`${name}Count`]: latencies.length,
      [`${name}Errors`]: errors,
    };
  };
}

/**
 * Calls `task()` `perSecond` times a second, without waiting for one call to end before the
 * next starts (at most `maxInFlight` at once; a tick that finds them all busy is skipped and
 * counted). `task` bounds its own time (httpRequest does). Reports `${name}PerSecond`
 * (achieved), `${name}Errors` and `${name}Skipped`.
 */
export function atFixedRate(perSecond, task, { name = 'task', maxInFlight = 32 } = {}) {
  return async (signal) => {
    const interval = 1000 / perSecond;
    const started = Date.now();
    const pending = new Set();
    let done = 0;
    let errors = 0;
    let skipped = 0;
    for (let tick = 1; !signal.aborted; tick++) {
      if (pending.size >= maxInFlight) skipped++;
      else {
        const call = task()
          .then(() => done++, () => errors++)
          .finally(() => pending.delete(call));
        pending.add(call);
      }
      const wait = started + tick * interval - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
    }
    await Promise.allSettled(pending);
    const seconds = (Date.now() - started) / 1000;
    return { [`${name}PerSecond`]: done / seconds, [`${name}Errors`]: errors, [`${name}Skipped`]: skipped };
  };
}
