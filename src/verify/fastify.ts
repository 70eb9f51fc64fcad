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
    const result = await authorize(verifier, request.headers.authorization, options);
    if (isRefusal(result)) {
      await reply.code(result.status).headers(result.headers).send(result.body);
      return;
    }
    request.tessera = result;
  };
}
