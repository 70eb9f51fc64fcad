import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SHARED_SCHEMAS } from './schemas.js';

/**
 * The OpenAPI document is generated from the route schemas that validate requests, so it cannot
 * drift from the behaviour; `/openapi.json` serves it and `/docs` renders it.
 */
interface OpenApiDocument {
  paths?: Record<string, Record<string, { [OPTIONAL_BODY]?: boolean; requestBody?: { required?: boolean } }>>;
}

/** A route schema member that marks its body optional: Fastify's generator always marks one required. */
export const OPTIONAL_BODY = 'x-optional-body' as const;

declare module 'fastify' {
  interface FastifySchema {
    [OPTIONAL_BODY]?: boolean;
  }
}

function optionalBodies(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (!operation[OPTIONAL_BODY]) continue;
      delete operation[OPTIONAL_BODY];
      if (operation.requestBody) operation.requestBody.required = false;
    }
  }
  return document;
}

/**
 * The /docs page's Content-Security-Policy: its own files only, no framing, and the one inline style
 * element Swagger UI injects, by its hash (a new Swagger UI that changes it fails the browser test).
 * `upgrade-insecure-requests` only where the issuer is https: over http it would break the page.
 */
export function docsPolicy(issuer: string): string {
  const directives = [
    "default-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
    "img-src 'self' data:",
    "font-src 'self' data:",
  ];
  if (issuer.startsWith('https://')) directives.push('upgrade-insecure-requests');
  return directives.join('; ');
}

export async function registerOpenApi(app: FastifyInstance, issuer: string): Promise<void> {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: '1',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Authentication service: cookie sessions and JWT access + refresh tokens. Every error is RFC 9457 problem JSON ' +
          '(application/problem+json) with a stable `code`; see docs/errors.md.',
      },
      servers: [{ url: issuer }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token (RFC 9068)' },
          session: { type: 'apiKey', in: 'cookie', name: '__Host-tessera_session', description: 'A cookie session; unsafe methods also need X-CSRF-Token' },
          accessCookie: { type: 'apiKey', in: 'cookie', name: '__Host-tessera_access', description: 'An access token in a cookie (transport: cookie); unsafe methods also need X-CSRF-Token' },
          refreshCookie: { type: 'apiKey', in: 'cookie', name: '__Secure-tessera_refresh', description: 'The refresh token in a cookie (transport: cookie), with X-CSRF-Token' },
          feedSecret: { type: 'http', scheme: 'bearer', description: 'TESSERA_FEED_SECRET' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'TESSERA_METRICS_TOKEN, when set' },
        },
      },
    },
    // Shared schemas keep their $id as their name in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (documents) => ('openapiObject' in documents ? optionalBodies(documents.openapiObject as OpenApiDocument) : documents.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: docsPolicy(issuer) });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return app.swagger();
  });
}
