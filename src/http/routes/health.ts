import type { FastifyPluginAsync } from 'fastify';
import { JWKS_MAX_AGE_SECONDS } from '../../core/lifetimes.js';
import type { Tessera } from '../../core/tessera.js';

/** Liveness, readiness and the public keys: no credential needed. */
export const healthRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: { tags: ['operations'], summary: 'The stores answer and the revocation feed is fresh' } }, async (_request, reply) => {
      const { ready, stores, feed, failure } = await tessera.readiness();
      if (!ready) reply.code(503).header('retry-after', '1');
      // The failing store and its cause are for the operator's probe; they name no user or secret.
      return { status: ready ? 'ready' : 'unavailable', stores, feed, ...(failure ? { failure: `${failure.store}: ${failure.cause}` } : {}) };
    });

    app.get('/.well-known/jwks.json', { schema: { tags: ['tokens'], summary: 'Public signing keys (RFC 7517)' } }, async (_request, reply) => {
      // Verifiers may cache this long: a rotated key is published at least that much before it signs.
      reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      return tessera.jwks();
    });
  };
