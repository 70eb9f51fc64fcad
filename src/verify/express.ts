import type { AccessClaims } from '../core/accessToken.js';
import type { Verifier } from './createVerifier.js';
import { authorize, isRefusal } from './middleware.js';

/** The parts of Express's request and response this middleware uses, so that Express is not a dependency. */
export interface ExpressLikeRequest {
  headers: { authorization?: string | undefined };
  tessera?: AccessClaims;
}

export interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  set(headers: Record<string, string>): ExpressLikeResponse;
  type(type: string): ExpressLikeResponse;
  send(body: string): unknown;
}

/**
 * Express middleware that admits only requests with a valid, unrevoked Tessera access token, and puts
 * its claims on `req.tessera`: `app.get('/orders', tesseraExpress(verifier), handler)`.
 */
export function tesseraExpress(verifier: Verifier, options: { role?: string } = {}) {
  return (request: ExpressLikeRequest, response: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    authorize(verifier, request.headers.authorization).then((result) => {
      if (isRefusal(result)) {
        response.status(result.status).set(result.headers).type('application/problem+json').send(JSON.stringify(result.body));
      } else if (options.role !== undefined && result.role !== options.role) {
        response.status(403).type('application/problem+json').send(JSON.stringify({ type: 'urn:tessera:problem:forbidden', title: 'Forbidden', status: 403, code: 'forbidden' }));
      } else {
        request.tessera = result;
        next();
      }
    }, next);
  };
}
