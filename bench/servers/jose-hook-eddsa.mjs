// The naive JWT baseline: bare Fastify plus a hook that runs jose's jwtVerify on the bearer
// token of every request. The Ed25519 public key is imported once, at start-up, as a
// careful deployment would; the signature is still verified on every request.
import Fastify from 'fastify';
import { importSPKI, jwtVerify } from 'jose';
import { BENCH_USER, listenOptions, meBody, meSchema } from './me.mjs';

const publicKey = await importSPKI(process.env.BENCH_PUBLIC_KEY ?? '', 'EdDSA');
const app = Fastify({ logger: false });

app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Bearer ')) return reply.code(401).send();
  try {
    const { payload } = await jwtVerify(header.slice(7), publicKey, { algorithms: ['EdDSA'] });
    request.claims = payload;
  } catch {
    return reply.code(401).send();
  }
});

app.get('/v1/me', { schema: { response: meSchema } }, async (request) =>
  meBody(BENCH_USER, request.claims.sid, new Date(request.claims.exp * 1000)),
);

await app.listen(listenOptions());
