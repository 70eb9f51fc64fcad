// The load generator used when wrk is not installed. It runs as its own process, pinned to
// the load cores by the harness, and prints the same figures as lua/report.lua.
// Usage: node autocannon-load.mjs '{"target":{...},"connections":64,"durationSec":10}'
import autocannon from 'autocannon';
import { nthRequest, readEntries } from '../lib/rotation.mjs';

const { target, connections, durationSec } = JSON.parse(process.argv[2]);
const entries = target.rotate ? readEntries(target.rotate.file) : null;
let sent = 0;

const result = await autocannon({
  url: target.url,
  connections,
  duration: durationSec,
  timeout: 10,
  // Rebuilt for every request, the same sequence as the wrk scripts send.
  requests: [{ setupRequest: (request) => ({ ...request, ...nthRequest(target, entries, sent++) }) }],
});

console.log(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || durationSec),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    httpErrors: result.non2xx,
    socketErrors: result.errors + result.timeouts,
  }),
);
