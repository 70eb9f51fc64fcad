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
  send(body: string): unknown;
}

/**
 * Express middleware that admits only requests with a valid, unrevoked Tessera access token, and puts
 * its claims on `req.tessera`: `app.get('/orders', tesseraExpress(verifier), handler)`.
 */
export function tesseraExpress(verifier: Verifier, options: { role?: string } = {}) {
  return (request: ExpressLikeRequest, response: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    authorize(verifier, request.headers.authorization, options).then((result) => {
      if (isRefusal(result)) {
        response.status(result.status).set(result.headers).send(JSON.stringify(result.body));
      } else {
        request.tessera = result;
        next();
      }
    }, next);
  };
}
