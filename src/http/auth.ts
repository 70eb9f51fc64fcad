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
 * "Conventions"); then the session cookie, then the access-token cookie. One rule for every request:
 * a value at once when the caches can tell, a promise only when a signature or a store must be checked.
 */
export function resolvePrincipal(tessera: Tessera, request: FastifyRequest): Principal | Promise<Principal> {
  const header = request.headers.authorization;
  if (header !== undefined) return then(tessera.checkAccessToken(parseBearer(header)), (claims) => tokenPrincipal(claims, false));
  const session = cookieOf(request, COOKIES.session);
  if (session) return then(tessera.checkSession(session), sessionPrincipal);
  const access = cookieOf(request, COOKIES.access);
  if (access) return then(tessera.checkAccessToken(parseBearer(`Bearer ${access}`)), (claims) => tokenPrincipal(claims, true));
  throw new AuthError('unauthenticated');
}

/** Maps a value now, or a promise's value later: a value never waits for a promise. */
const then = <T, U>(value: T | Promise<T>, map: (value: T) => U): U | Promise<U> => (value instanceof Promise ? value.then(map) : map(value));

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
    let principal: Principal | Promise<Principal>;
    try {
      principal = resolvePrincipal(tessera, request);
      if (!(principal instanceof Promise)) {
        admit(request, principal);
        return done();
      }
    } catch (error) {
      return done(asError(error));
    }
    principal.then((resolved) => admit(request, resolved)).then(() => done(), (error: unknown) => done(asError(error)));
  };
}
