// A separate service that verifies Tessera's tokens with the verifier library (dist/verify), as
// another team's service would: GET /check answers 200 with the claims, or the library's refusal.
import { createServer } from 'node:http';
import { authorize, createVerifier, isRefusal } from '../../dist/verify/index.js';

const env = process.env;
const revocation = env.POLL_URL ? { pollUrl: env.POLL_URL, secret: env.FEED_SECRET } : { redisUrl: env.REDIS_URL, prefix: env.REDIS_PREFIX };
const verifier = await createVerifier({
  issuer: env.ISSUER,
  audience: 'tessera',
  jwksUrl: env.JWKS_URL,
  revocation,
  maxStalenessSeconds: Number(env.STALENESS ?? 10),
});

const server = createServer(async (request, response) => {
  const result = await authorize(verifier, request.headers.authorization);
  const [status, headers, body] = isRefusal(result) ? [result.status, result.headers, result.body] : [200, {}, result];
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
});
server.listen(Number(env.VERIFIER_PORT), '127.0.0.1', () => process.stdout.write('verifier ready\n'));
process.on('SIGTERM', () => {
  server.close();
  void verifier.close().then(() => process.exit(0));
});
