// A tiny service of another team that protects its routes with Tessera's verifier library.
// It imports `tessera/verify` (the package's own export), checks tokens without calling Tessera per
// request, and refuses revoked tokens within a second through the revocation feed.
import Fastify from 'fastify';
import { createVerifier, tesseraFastify } from 'tessera/verify';

const tessera = process.env.TESSERA_URL ?? 'http://127.0.0.1:8080';
const revocation = process.env.TESSERA_REDIS_URL
  ? { redisUrl: process.env.TESSERA_REDIS_URL, prefix: process.env.TESSERA_REDIS_PREFIX ?? 'tessera:' }
  : { pollUrl: `${tessera}/v1/revocations`, secret: process.env.TESSERA_FEED_SECRET ?? '' };

const verifier = await createVerifier({
  issuer: process.env.TESSERA_ISSUER ?? tessera,
  audience: process.env.TESSERA_AUDIENCE ?? 'tessera',
  jwksUrl: `${tessera}/.well-known/jwks.json`,
  revocation,
});

const app = Fastify({ logger: { level: 'warn' } });

// A browser app on another origin (examples/spa) may call with a bearer: answer CORS for that origin only.
if (process.env.CORS_ORIGIN) {
  const { default: cors } = await import('@fastify/cors');
  await app.register(cors, { origin: process.env.CORS_ORIGIN.split(','), allowedHeaders: ['authorization'], exposedHeaders: ['www-authenticate', 'retry-after'] });
}

// Ready once the keys are loaded and the revocation feed is fresh; the service starts even while
// Tessera is down, and answers 503 (with Retry-After) to every check until then.
app.get('/readyz', async (_request, reply) => (verifier.isReady() ? { status: 'ready' } : reply.code(503).header('retry-after', '1').send({ status: 'unavailable' })));

app.get('/orders', { preHandler: tesseraFastify(verifier) }, async (request) => ({
  owner: request.tessera.name,
  orders: [{ id: 1, item: 'tessellated tiles', quantity: 12 }],
}));

app.get('/reports', { preHandler: tesseraFastify(verifier, { role: 'admin' }) }, async (request) => ({
  requestedBy: request.tessera.name,
  report: 'quarterly figures',
}));

const close = async () => {
  await app.close();
  await verifier.close();
  process.exit(0);
};
process.once('SIGTERM', close);
process.once('SIGINT', close);

const port = Number(process.env.PORT ?? 8081);
await app.listen({ host: '127.0.0.1', port });
console.log(`resource server on http://127.0.0.1:${port} (tokens from ${tessera})`);
