// Revokes token families at a fixed rate, for tessera-revocation-churn: POST /v1/tokens/revoke with
// the next refresh token of FILE from line FROM on, RATE a second, until SIGTERM. It runs as a
// process of its own, pinned with the load generator, so that its CPU is never the server core's.
// Prints {"revocationsPerSecond","revocationErrors","revocationSkipped","used"} on stop.
// Usage: node revoker.mjs ORIGIN FILE FROM RATE
import { atFixedRate } from '../lib/alongside.mjs';
import { httpRequest } from '../lib/http.mjs';
import { readEntries } from '../lib/rotation.mjs';

const [origin, file, from, rate] = process.argv.slice(2);
const tokens = readEntries(file);
let next = Number(from);

async function revokeOne() {
  const token = tokens[next++];
  if (token === undefined) throw new Error('no throw-away refresh token left');
  const response = await httpRequest(`${origin}/v1/tokens/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (response.status !== 200) throw new Error(`revoke answered ${response.status}`);
}

const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
const figures = await atFixedRate(Number(rate), revokeOne, { name: 'revocation' })(stop.signal);
console.log(JSON.stringify({ ...figures, used: next - Number(from) }));
