import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AccessClaims } from '../core/accessToken.js';
import type { Verifier } from './createVerifier.js';
import { authorize, isRefusal } from './middleware.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token's claims, set by `tesseraFastify`. */
    tessera?: AccessClaims;
  }
}

/**
 * A Fastify preHandler that admits only requests with a valid, unrevoked Tessera access token:
 * `app.addHook('preHandler', tesseraFastify(verifier))`, or per route. Optional `role` restriction.
 */
export function tesseraFastify(verifier: Verifier, options: { role?: string } = {}): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await authorize(verifier, request.headers.authorization);
    if (isRefusal(result)) {
      await reply.code(result.status).headers(result.headers).type('application/problem+json').send(result.body);
      return;
    }
    if (options.role !== undefined && result.role !== options.role) {
      await reply.code(403).type('application/problem+json').send({ type: 'urn:tessera:problem:forbidden', title: 'Forbidden', status: 403, code: 'forbidden' });
      return;
    }
    request.tessera = result;
  };
}
