// Runs in a worker thread of login-flood.mjs, on its own event loop, so that the flood's client work
// does not show up as server latency. Two probes of GET /healthz:
// - `kept`: one keep-alive connection opened before the flood: the server's request latency;
// - `fresh`: a new connection every 500 ms: what a new client (or a health checker that does not
//   keep its connection) waits, accept queue included.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { send } from './lib.mjs';

const url = `${workerData.origin}/healthz`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const kept = { latencies: [], failures: [] };
const fresh = { latencies: [], failures: [] };
let running = true;
parentPort.on('message', (message) => {
  if (message === 'stop') running = false;
});
const record = (into, res) => (res.status === 200 ? into.latencies.push(res.ms) : into.failures.push(res.status || (res.timedOut ? 'timeout' : res.error)));

record(kept, await send(url, { agent, timeoutMs: 10_000 }));
parentPort.postMessage({ ready: true });
const freshLoop = (async () => {
  while (running) {
    record(fresh, await send(url, { agent: false, headers: { connection: 'close' }, timeoutMs: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
})();
while (running) {
  record(kept, await send(url, { agent, timeoutMs: 10_000 }));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await freshLoop;
agent.destroy();
parentPort.postMessage({ kept, fresh });
