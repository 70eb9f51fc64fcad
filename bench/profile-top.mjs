#!/usr/bin/env node
// Reads a V8 CPU profile (`node --cpu-prof`) and prints where the time went: the functions with the
// most self time, and self time by owner (Tessera's dist/, each package, Node's internals, V8 and
// native code). Samples before `--skip` seconds (start-up, warm-up) are left out.
// With --match REGEXP, also the total (self and callees) time of the functions whose name matches.
// Usage: node bench/profile-top.mjs FILE.cpuprofile [--top 30] [--skip 0] [--match REGEXP]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, skip: { type: 'string', default: '0' }, match: { type: 'string' } } });
const [file] = positionals;
if (!file) {
  console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [--top 30] [--skip SECONDS] [--match REGEXP]');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(values.top);
const skipUs = Number(values.skip) * 1e6;

/** Who owns a frame: ours (dist/), a package by name, node's internals, or V8's pseudo-frames. */
function owner({ url, functionName }) {
  if (!url) return ['(garbage collector)', '(idle)', '(program)', '(root)'].includes(functionName) ? functionName : 'native';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/')) return 'tessera';
  return url;
}

// Self time of a node: the time until the next sample, summed over the samples that landed in it.
const hits = new Map();
let at = profile.startTime;
let counted = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i];
  const next = profile.timeDeltas[i + 1] ?? 0;
  if (at - profile.startTime < skipUs) continue;
  const id = profile.samples[i];
  hits.set(id, (hits.get(id) ?? 0) + next);
  counted += next;
}

const byFunction = new Map();
const byOwner = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = hits.get(node.id) ?? 0;
  if (us === 0) continue;
  const frame = node.callFrame;
  if (frame.functionName === '(idle)') continue;
  total += us;
  const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`;
  const who = owner(frame);
  const entry = byFunction.get(key) ?? { us: 0, who };
  entry.us += us;
  byFunction.set(key, entry);
  byOwner.set(who, (byOwner.get(who) ?? 0) + us);
}

const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`busy ${(total / 1e6).toFixed(2)} s of ${(counted / 1e6).toFixed(2)} s profiled after the first ${values.skip} s (idle excluded)\n`);
console.log('self time by owner');
for (const [who, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${who}`);
console.log(`\ntop ${top} functions by self time`);
for (const [key, { us, who }] of [...byFunction].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
  console.log(`  ${pct(us)}  [${who}] ${key}`);
}

if (values.match) {
  // Total time: each node's self time counts once for every distinct matching function on its stack.
  const pattern = new RegExp(values.match);
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const label = (node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
  const totals = new Map();
  for (const node of profile.nodes) {
    const us = hits.get(node.id) ?? 0;
    if (us === 0 || node.callFrame.functionName === '(idle)') continue;
    const seen = new Set();
    for (let at = node; at; at = parent.get(at.id)) {
      const name = label(at);
      if (pattern.test(name) && !seen.has(name)) {
        seen.add(name);
        totals.set(name, (totals.get(name) ?? 0) + us);
      }
    }
  }
  console.log(`\ntotal time (self and callees) of functions matching ${pattern}`);
  for (const [name, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${name}`);
}
