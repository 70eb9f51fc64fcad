import type { AccessClaims } from '../core/accessToken.js';
import { AuthError } from '../core/errors.js';
import type { Verifier } from './createVerifier.js';

/** RFC 6750 §2.1: `Bearer` and a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface Refusal {
  status: 401 | 503;
  headers: Record<string, string>;
  body: { type: string; title: string; status: number; code: string };
}

/**
 * Checks an Authorization header. Resolves the claims, or a refusal ready to send: 401 with
 * `WWW-Authenticate` (RFC 6750 §3), or 503 when the revocation feed is stale (fail closed).
 */
export async function authorize(verifier: Verifier, authorization: string | undefined): Promise<AccessClaims | Refusal> {
  const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  try {
    if (token === undefined) throw new AuthError(authorization === undefined ? 'unauthenticated' : 'invalid_token');
    return await verifier.verify(token);
  } catch (error) {
    const code = error instanceof AuthError ? error.code : 'unavailable';
    if (code === 'unavailable') {
      return { status: 503, headers: { 'retry-after': '1' }, body: { type: 'urn:tessera:problem:unavailable', title: 'Service unavailable', status: 503, code } };
    }
    const challenge = code === 'unauthenticated' ? 'Bearer' : 'Bearer error="invalid_token"';
    return { status: 401, headers: { 'www-authenticate': challenge }, body: { type: `urn:tessera:problem:${code}`, title: 'Unauthorized', status: 401, code } };
  }
}

export const isRefusal = (result: AccessClaims | Refusal): result is Refusal => 'status' in result && 'body' in result;
