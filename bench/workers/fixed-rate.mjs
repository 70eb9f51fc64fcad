// A load generator that holds a rate (bench/README.md, "Fixed rate"): request i is due at
// start + i / rate (sent in batches each millisecond), whatever the server's answers do. A request
// that finds every connection busy waits, and its latency counts from when it was due, so a stall
// shows in the percentiles instead of lowering the rate (coordinated omission, as in wrk2).
// Raw keep-alive sockets and prebuilt requests keep it cheap on the load core; one request at a
// time on a connection (no pipelining), `connections` of them, more opened on demand up to `maxConnections`.
// Usage: node fixed-rate.mjs '{"target":{...},"rate":5000,"durationSec":10,"connections":64}'
// Prints one line: BENCH_RESULT {"requests",...} with the fields of lua/report.lua plus `offered`.
import net from 'node:net';
import { nthRequest, readEntries } from '../lib/rotation.mjs';

const { target, rate, durationSec, connections = 64, maxConnections = 512 } = JSON.parse(process.argv[2]);
const url = new URL(target.url);
const entries = target.rotate ? readEntries(target.rotate.file) : null;
const TICK_MS = 1;
const TIMEOUT_NS = 10_000_000_000n;

/** Every distinct request once, as bytes: the generator must cost little next to the server it measures. */
function prebuild() {
  const count = entries ? entries.length : 1;
  return Array.from({ length: count }, (_, n) => {
    const { method, headers, body } = nthRequest(target, entries, n);
    const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
  });
}

const requests = prebuild();
const latenciesUs = new Float64Array(Math.ceil(rate * durationSec) + 16);
const counts = { requests: 0, httpErrors: 0, connectErrors: 0, readErrors: 0, writeErrors: 0, timeouts: 0, late: 0 };
const idle = [];
const all = new Set();
const backlog = []; // due times (ns) of requests no connection was free for
let sent = 0;
let stopping = false;

/** Parses responses as they arrive: status line, Content-Length or chunked, nothing else. */
function onData(conn, chunk) {
  conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
  for (;;) {
    const end = conn.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = conn.buffer.toString('latin1', 0, end);
    let total;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length) total = end + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = conn.buffer.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      total = last + 7;
    } else total = end + 4;
    if (conn.buffer.length < total) return;
    conn.buffer = conn.buffer.subarray(total);
    complete(conn, Number(head.slice(9, 12)));
  }
}

function complete(conn, status) {
  const now = process.hrtime.bigint();
  if (counts.requests < latenciesUs.length) latenciesUs[counts.requests] = Number(now - conn.dueNs) / 1000;
  counts.requests += 1;
  if (status >= 400) counts.httpErrors += 1;
  conn.dueNs = null;
  if (backlog.length > 0) send(conn, backlog.shift());
  else idle.push(conn);
}

function open() {
  const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
  const conn = { socket, buffer: Buffer.alloc(0), dueNs: null, sentNs: null };
  all.add(conn);
  socket.on('connect', () => {
    if (backlog.length > 0) send(conn, backlog.shift());
    else idle.push(conn);
  });
  socket.on('data', (chunk) => onData(conn, chunk));
  socket.on('error', () => {
    if (socket.connecting) counts.connectErrors += 1;
    else counts.readErrors += 1;
  });
  socket.on('close', () => {
    all.delete(conn);
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    if (conn.dueNs !== null && !stopping) backlog.unshift(conn.dueNs);
  });
  return conn;
}

function send(conn, dueNs) {
  conn.dueNs = dueNs;
  conn.sentNs = process.hrtime.bigint();
  conn.socket.write(requests[sent % requests.length]);
  sent += 1;
}

let startNs = 0n; // set once every connection is open: connecting is not what is measured
const intervalNs = 1e9 / rate;
const totalDue = Math.floor(rate * durationSec);
let scheduled = 0;

function tick() {
  const now = process.hrtime.bigint();
  const elapsed = Number(now - startNs);
  const dueNow = Math.min(totalDue, Math.floor(elapsed / intervalNs) + 1);
  for (; scheduled < dueNow; scheduled++) {
    const conn = idle.pop();
    // Sent at once, a request's latency counts from its write: the timer's own lag is not the
    // server's. One that waits for a free connection counts from when it was due.
    if (conn) send(conn, now);
    else {
      const dueNs = startNs + BigInt(Math.round(scheduled * intervalNs));
      backlog.push(dueNs);
      counts.late += 1;
      if (all.size < maxConnections) open();
    }
  }
  for (const conn of all) {
    if (conn.dueNs !== null && now - conn.sentNs > TIMEOUT_NS) {
      counts.timeouts += 1;
      conn.dueNs = null;
      conn.socket.destroy();
    }
  }
  if (scheduled < totalDue) setTimeout(tick, TICK_MS);
  else finish();
}

function finish() {
  // The last requests get up to 10 s to answer; then every socket is closed and the figures printed.
  const deadline = Date.now() + 10_000;
  const wait = () => {
    const busy = [...all].some((conn) => conn.dueNs !== null) || backlog.length > 0;
    if (busy && Date.now() < deadline) return setTimeout(wait, 5);
    stopping = true;
    const durationUs = Number(process.hrtime.bigint() - startNs) / 1000;
    counts.timeouts += backlog.length + [...all].filter((conn) => conn.dueNs !== null).length;
    for (const conn of all) conn.socket.destroy();
    const sorted = latenciesUs.subarray(0, Math.min(counts.requests, latenciesUs.length)).sort();
    const at = (p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
    const result = { ...counts, durationUs: Math.round(durationUs), offered: rate, p50Us: at(50), p90Us: at(90), p99Us: at(99), maxUs: at(100), connectionsUsed: connections + (all.size > connections ? all.size - connections : 0) };
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  };
  wait();
}

for (let i = 0; i < connections; i++) open();
// The schedule starts once every connection is open, or after 3 s with those that are.
const openedBy = Date.now() + 3000;
const ready = setInterval(() => {
  if (idle.length < connections && Date.now() < openedBy) return;
  clearInterval(ready);
  if (idle.length === 0) {
    console.error(`no connection to ${url.host} opened within 3 s`);
    process.exit(1);
  }
  startNs = process.hrtime.bigint();
  tick();
}, 5);
