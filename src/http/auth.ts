import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AccessClaims } from '../core/accessToken.js';
import { AuthError } from '../core/errors.js';
import { parseBearer } from '../core/problems.js';
import { type Authentication, type Role, isAuthMethod } from '../core/model.js';
import type { ValidSession } from '../core/sessions.js';
import type { Tessera } from '../core/tessera.js';
import { sessionIdleEnd } from '../core/model.js';
import { COOKIES, cookieOf } from './cookies.js';

/** Who a request speaks for, and by which credential. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  method: 'session' | 'token';
  /** The session or token family id. */
  sid: string;
  /** When the credential ends if nothing else happens (ms). */
  expiresAt: number;
  /** Cookie-borne credentials need a CSRF token on unsafe methods; bearer tokens do not. */
  viaCookie: boolean;
  /** How and when (ms) the user authenticated for this credential: step-up looks at both. */
  auth: Authentication;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isUnsafe = (method: string): boolean => UNSAFE.has(method);

/** The CSRF binding of a credential: its token is derived from it (core/sessions.ts). */
export const csrfBinding = (principal: Pick<Principal, 'method' | 'sid'>): string =>
  `${principal.method === 'session' ? 'session' : 'family'}:${principal.sid}`;

const tokenPrincipal = (claims: AccessClaims, viaCookie: boolean): Principal => ({
  userId: claims.sub,
  username: claims.name,
  role: claims.role,
  method: 'token',
  sid: claims.sid,
  expiresAt: claims.exp * 1000,
  viaCookie,
  auth: { amr: claims.amr.filter(isAuthMethod), authTime: claims.auth_time * 1000 },
});

const sessionPrincipal = ({ session, user }: ValidSession): Principal => ({
  userId: user.id,
  username: user.username,
  role: user.role,
  method: 'session',
  sid: session.id,
  expiresAt: Math.min(session.expiresAt, sessionIdleEnd(session)),
  viaCookie: true,
  auth: { amr: session.amr, authTime: session.authTime },
});

/**
 * Resolves the request's credential. The bearer token decides when there is one (API.md,
 * "Conventions"); then the session cookie, then the access-token cookie.
 */
export async function resolvePrincipal(tessera: Tessera, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  if (header !== undefined) return tokenPrincipal(await tessera.verifyAccessToken(parseBearer(header)), false);
  const session = cookieOf(request, COOKIES.session);
  if (session) return sessionPrincipal(await tessera.validateSession(session));
  const access = cookieOf(request, COOKIES.access);
  if (access) return tokenPrincipal(await tessera.verifyAccessToken(parseBearer(`Bearer ${access}`)), true);
  throw new AuthError('unauthenticated');
}

/**
 * resolvePrincipal() without waiting, with the same precedence, checks and errors: a token from the
 * verified-token cache, a session from this instance's caches. Null when a signature must be checked
 * or a store read. Synchronous, so that the hot path costs no promise.
 */
export function resolvePrincipalNow(tessera: Tessera, request: FastifyRequest): Principal | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const claims = tessera.verifyAccessTokenNow(parseBearer(header));
    return claims && tokenPrincipal(claims, false);
  }
  const session = cookieOf(request, COOKIES.session);
  if (session) {
    const valid = tessera.validateSessionNow(session);
    return valid && sessionPrincipal(valid);
  }
  const access = cookieOf(request, COOKIES.access);
  if (access) {
    const claims = tessera.verifyAccessTokenNow(parseBearer(`Bearer ${access}`));
    return claims && tokenPrincipal(claims, true);
  }
  throw new AuthError('unauthenticated');
}

/** Refuses an unsafe, cookie-authenticated request whose X-CSRF-Token does not match its credential. */
export function assertCsrf(tessera: Tessera, request: FastifyRequest, principal: Pick<Principal, 'method' | 'sid' | 'viaCookie'>): void {
  if (!principal.viaCookie || !isUnsafe(request.method)) return;
  const presented = request.headers['x-csrf-token'];
  if (!tessera.csrfMatches(csrfBinding(principal), typeof presented === 'string' ? presented : undefined)) {
    throw new AuthError('csrf_failed', { detail: 'X-CSRF-Token is missing or does not match the credential' });
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The first hook of every authenticated route group (onRequest: before the body is even parsed, so
 * an anonymous caller learns nothing from validation): resolve, then the CSRF check, then the role.
 * Callback style rather than async: a credential checked at once is admitted without a promise.
 */
export function requireAuth(tessera: Tessera, role?: Role, options: { mfa?: boolean } = {}): onRequestHookHandler {
  const admit = (request: FastifyRequest, principal: Principal): void => {
    assertCsrf(tessera, request, principal);
    if (role !== undefined && principal.role !== role) throw new AuthError('forbidden', { detail: `this needs the role ${role}` });
    if (options.mfa && !principal.auth.amr.includes('mfa')) throw new AuthError('mfa_required', { detail: 'this needs a sign-in with a second factor' });
    request.principal = principal;
  };
  return (request, _reply, done) => {
    let principal: Principal | null;
    try {
      principal = resolvePrincipalNow(tessera, request);
      if (principal) admit(request, principal);
    } catch (error) {
      return done(asError(error));
    }
    if (principal) return done();
    resolvePrincipal(tessera, request)
      .then((resolved) => admit(request, resolved))
      .then(() => done(), (error: unknown) => done(asError(error)));
  };
}
