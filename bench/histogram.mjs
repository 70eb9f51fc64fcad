// The cost of one latency observation with prom-client: a cached labelled child against observe(labels).
// Run: node bench/histogram.mjs (issue 14: the hand-rolled histogram went, since this is under 1 µs).
import { Histogram, Registry } from 'prom-client';
const r = new Registry();
const h = new Histogram({ name: 'x', help: 'x', labelNames: ['method', 'route', 'status'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [r] });
const children = new Map();
const child = (m, route, s) => { const k = `${m} ${route} ${s}`; let c = children.get(k); if (!c) children.set(k, (c = h.labels(m, route, String(s)))); return c; };
const N = 2_000_000; // bounded: a few seconds
for (let round = 0; round < 3; round++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) child('GET', '/v1/me', 200).observe(0.0003);
  const a = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) h.observe({ method: 'GET', route: '/v1/me', status: '200' }, 0.0003);
  const b = Number(process.hrtime.bigint() - t) / N;
  console.log(`child.observe ${a.toFixed(0)} ns/op; observe(labels) ${b.toFixed(0)} ns/op`);
}
