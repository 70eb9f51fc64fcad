// Heap bytes an entry of the deny view takes, in a fresh process (so that no garbage of other work
// blurs the difference): N revocations of one kind, made as the feed's parsing makes them.
// Usage: node --expose-gc deny-memory.mjs sid|user N; prints {"bytesPerEntry","entries"}.
import { randomBytes, randomUUID } from 'node:crypto';

const [kind, count] = [process.argv[2], Number(process.argv[3])];
const { DenyView } = await import(new URL('../../dist/core/denyView.js', import.meta.url).href);
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const at = Date.now();
const before = heap();
const view = new DenyView(15 * 60_000 + 30_000);
for (let i = 0; i < count; i++) {
  view.apply(kind === 'sid'
    ? { type: 'credential', kind: 'family', sid: randomBytes(16).toString('base64url'), userId: '', reason: 'logout', at: at + i }
    // Flat, as parsed from the feed: randomUUID() gives a rope of its parts.
    : { type: 'user', userId: Buffer.from(randomUUID()).toString('latin1'), at: at + i, notBefore: Math.floor((at + i) / 1000) });
}
const after = heap();
if (view.size !== count) throw new Error(`the view holds ${view.size} entries, not ${count}`);
console.log(JSON.stringify({ bytesPerEntry: (after - before) / count, entries: count }));
