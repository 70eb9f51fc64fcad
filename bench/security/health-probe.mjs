// Runs in a worker thread of login-flood.mjs: sequential GET /healthz on its own connection and its
// own event loop, so that the flood's client work does not show up as server latency.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { send } from './lib.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
const failures = [];
let running = true;
parentPort.on('message', (message) => {
  if (message === 'stop') running = false;
});
while (running) {
  const res = await send(`${workerData.origin}/healthz`, { agent, timeoutMs: 10_000 });
  if (res.status === 200) latencies.push(res.ms);
  else failures.push(res.status || (res.timedOut ? 'timeout' : res.error));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
agent.destroy();
parentPort.postMessage({ latencies, failures });
