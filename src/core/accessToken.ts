import { boundedLeeway } from './lifetimes.js';
import type { CompactJws } from './jws.js';
import { type Role, isRole } from './model.js';

/** The claims of a Tessera access token (API.md, "Credentials"; RFC 9068). */
export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  name: string;
  role: Role;
  /** The session or token family this token belongs to: revocation is keyed on it. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  /** RFC 8176 methods the user authenticated with (`pwd`, `otp`, `hwk`, `swk`, `mfa`); empty when the token names none. */
  amr: string[];
  /** When the user authenticated (epoch seconds, OIDC `auth_time`); 0 when the token names none. */
  auth_time: number;
}

export interface ClaimExpectations {
  issuer: string;
  audience: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`; at most 30 (API.md). */
  leeway: number;
}

/** RFC 9068 §2.1: access tokens are typed, so that an ID token or other JWT is never taken for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 256;
const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Checks the header type and the claims of a signature-checked token. Returns the claims, or the
 * error code to answer with.
 */
export function checkAccessClaims(
  jws: CompactJws,
  expected: ClaimExpectations,
  nowSeconds: number,
): AccessClaims | 'invalid_token' | 'token_expired' {
  if (jws.header.typ !== ACCESS_TOKEN_TYP) return 'invalid_token';
  let claims: unknown;
  try {
    claims = JSON.parse(jws.payload.toString('utf8'));
  } catch {
    return 'invalid_token';
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return 'invalid_token';
  const c = claims as Record<string, unknown>;
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (c.iss !== expected.issuer || !aud.includes(expected.audience)) return 'invalid_token';
  if (!isString(c.sub) || !isString(c.name) || !isRole(c.role) || !isString(c.sid) || !isString(c.jti)) {
    return 'invalid_token';
  }
  if (!isTime(c.iat) || !isTime(c.exp) || (c.nbf !== undefined && !isTime(c.nbf))) return 'invalid_token';
  const leeway = boundedLeeway(expected.leeway);
  if (c.iat > nowSeconds + leeway) return 'invalid_token';
  if (typeof c.nbf === 'number' && c.nbf > nowSeconds + leeway) return 'invalid_token';
  if (c.exp <= nowSeconds - leeway) return 'token_expired';
  const amr = c.amr ?? [];
  if (!Array.isArray(amr) || amr.length > 8 || !amr.every((m) => typeof m === 'string' && m.length > 0 && m.length <= 16)) return 'invalid_token';
  if (c.auth_time !== undefined && !isTime(c.auth_time)) return 'invalid_token';
  const auth_time = (c.auth_time as number | undefined) ?? 0;
  return { iss: c.iss, aud: expected.audience, sub: c.sub, name: c.name, role: c.role, sid: c.sid, jti: c.jti, iat: c.iat, exp: c.exp, amr: amr as string[], auth_time };
}
