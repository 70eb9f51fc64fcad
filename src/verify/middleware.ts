import type { AccessClaims } from '../core/accessToken.js';
import { AuthError } from '../core/errors.js';
import { type ProblemResponse, parseBearer, problemResponse } from '../core/problems.js';
import type { Verifier } from './createVerifier.js';

/** A refusal ready to send: the status, the headers (WWW-Authenticate, Retry-After) and the problem JSON. */
export type Refusal = ProblemResponse;

/**
 * Checks an Authorization header, and the role when one is required. Resolves the claims, or a
 * refusal with the same problem JSON and challenges as Tessera itself: 401 with `WWW-Authenticate`
 * (RFC 6750 §3), 403 `insufficient_scope` for a missing role (§3.1), or 503 when the revocation feed
 * is stale (fail closed).
 */
export async function authorize(verifier: Verifier, authorization: string | undefined, options: { role?: string } = {}): Promise<AccessClaims | Refusal> {
  try {
    if (authorization === undefined) throw new AuthError('unauthenticated');
    const claims = await verifier.verify(parseBearer(authorization));
    if (options.role !== undefined && claims.role !== options.role) throw new AuthError('forbidden', { detail: `this needs the role ${options.role}` });
    return claims;
  } catch (error) {
    const refusal = error instanceof AuthError ? error : new AuthError('unavailable', { retryAfter: 1 });
    return problemResponse(refusal, authorization !== undefined);
  }
}

export const isRefusal = (result: AccessClaims | Refusal): result is Refusal => 'status' in result && 'body' in result;
