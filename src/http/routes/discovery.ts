import type { FastifyPluginAsync } from 'fastify';
import type { SigningAlg } from '../../core/model.js';
import { PUBLIC, problems } from '../schemas.js';

/**
 * Authorization server metadata (RFC 8414), also served at the OpenID Connect discovery path, so that
 * a generic JWT middleware configured with just the issuer finds the keys (`jwks_uri`) and the
 * algorithm. Tessera issues no ID tokens; the OpenID members a client insists on are filled in as
 * their specification allows (no authorization endpoint, no response types).
 */
export function discoveryDocument(issuer: string, alg: SigningAlg) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/v1/tokens/refresh`,
    revocation_endpoint: `${issuer}/v1/tokens/revoke`,
    grant_types_supported: ['refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    subject_types_supported: ['public'],
    // The access tokens' algorithm (RFC 9068 JWTs); OpenID clients look for it under the ID-token name.
    id_token_signing_alg_values_supported: [alg],
    access_token_signing_alg_values_supported: [alg],
    service_documentation: `${issuer}/docs`,
  };
}

const documentSchema = {
  type: 'object',
  required: ['issuer', 'jwks_uri', 'token_endpoint', 'revocation_endpoint', 'grant_types_supported', 'response_types_supported'],
  properties: {
    issuer: { type: 'string' },
    jwks_uri: { type: 'string' },
    token_endpoint: { type: 'string' },
    revocation_endpoint: { type: 'string' },
    grant_types_supported: { type: 'array', items: { type: 'string' } },
    response_types_supported: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    revocation_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    subject_types_supported: { type: 'array', items: { type: 'string' } },
    id_token_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    access_token_signing_alg_values_supported: { type: 'array', items: { type: 'string' } },
    service_documentation: { type: 'string' },
  },
} as const;

export const discoveryRoutes =
  (issuer: string, alg: SigningAlg): FastifyPluginAsync =>
  async (app) => {
    const document = discoveryDocument(issuer, alg);
    for (const [path, summary] of [
      ['/.well-known/oauth-authorization-server', 'Authorization server metadata (RFC 8414)'],
      ['/.well-known/openid-configuration', 'The same metadata at the OpenID Connect discovery path'],
    ] as const) {
      const operationId = path.endsWith('openid-configuration') ? 'getOpenIdConfiguration' : 'getAuthorizationServerMetadata';
      app.get(path, { schema: { operationId, security: PUBLIC, tags: ['tokens'], summary, response: { 200: documentSchema, ...problems() } } }, async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=3600');
        return document;
      });
    }
  };
