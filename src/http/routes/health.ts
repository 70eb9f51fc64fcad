import type { FastifyPluginAsync } from 'fastify';
import { JWKS_MAX_AGE_SECONDS } from '../../core/lifetimes.js';
import type { Tessera } from '../../core/tessera.js';
import { PUBLIC, problems } from '../schemas.js';

const readiness = {
  type: 'object',
  required: ['status', 'stores', 'feed'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    stores: { type: 'string', enum: ['ok', 'failing'], description: 'failing: a store cannot be written now, or failed in the last 5 s' },
    feed: { type: 'string', enum: ['fresh', 'stale'] },
    failure: { type: 'string', description: 'the store that failed last and why, while it counts' },
  },
} as const;

const jwks = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      description: 'RFC 7517 public keys: the next, the active and the retiring ones; never a private member or a symmetric key',
      items: { type: 'object', required: ['kty', 'kid', 'alg', 'use'], additionalProperties: true, properties: { kty: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, use: { type: 'string', enum: ['sig'] } } },
    },
  },
} as const;

/** Liveness, readiness and the public keys: no credential needed. */
export const healthRoutes =
  (tessera: Tessera): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'getHealth',
          security: PUBLIC,
          tags: ['operations'],
          summary: 'The process is alive',
          response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } }, ...problems() },
        },
      },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'getReadiness',
          security: PUBLIC,
          tags: ['operations'],
          summary: 'Every store takes a write and the revocation feed is fresh',
          response: { 200: readiness, 503: { ...readiness, description: 'Not ready (with Retry-After)' }, ...problems() },
        },
      },
      async (_request, reply) => {
        const { ready, stores, feed, failure } = await tessera.readiness();
        if (!ready) reply.code(503).header('retry-after', '1');
        // The failing store and its cause are for the operator's probe; they name no user or secret.
        return { status: ready ? 'ready' : 'unavailable', stores, feed, ...(failure ? { failure: `${failure.store}: ${failure.cause}` } : {}) };
      },
    );

    app.get(
      '/.well-known/jwks.json',
      { schema: { operationId: 'getJwks', security: PUBLIC, tags: ['tokens'], summary: 'Public signing keys (RFC 7517)', response: { 200: jwks, ...problems() } } },
      async (_request, reply) => {
        // Verifiers may cache this long: a rotated key is published at least that much before it signs.
        reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
        return tessera.jwks();
      },
    );
  };
