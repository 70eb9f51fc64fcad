import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AuthError } from '../core/errors.js';
import type { Role } from '../core/model.js';
import { csrfMatches } from '../core/sessions.js';
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
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** RFC 6750 §2.1: `Bearer` and a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export const isUnsafe = (method: string): boolean => UNSAFE.has(method);

/** The CSRF binding of a credential: its token is derived from it (core/sessions.ts). */
export const csrfBinding = (principal: Pick<Principal, 'method' | 'sid'>): string =>
  `${principal.method === 'session' ? 'session' : 'family'}:${principal.sid}`;

async function fromBearer(tessera: Tessera, header: string): Promise<Principal> {
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AuthError('invalid_token', { detail: 'the Authorization header is not a bearer token' });
  const claims = await tessera.verifier.verify(match[1]);
  return { userId: claims.sub, username: claims.name, role: claims.role, method: 'token', sid: claims.sid, expiresAt: claims.exp * 1000, viaCookie: false };
}

async function fromSessionCookie(tessera: Tessera, cookie: string): Promise<Principal> {
  const { session, user } = await tessera.sessions.validate(cookie);
  const expiresAt = Math.min(session.expiresAt, sessionIdleEnd(session));
  return { userId: user.id, username: user.username, role: user.role, method: 'session', sid: session.id, expiresAt, viaCookie: true };
}

/**
 * Resolves the request's credential. The bearer token decides when there is one (API.md,
 * "Conventions"); then the session cookie, then the access-token cookie.
 */
export async function resolvePrincipal(tessera: Tessera, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  if (header !== undefined) return fromBearer(tessera, header);
  const session = cookieOf(request, COOKIES.session);
  if (session) return fromSessionCookie(tessera, session);
  const access = cookieOf(request, COOKIES.access);
  if (access) return { ...(await fromBearer(tessera, `Bearer ${access}`)), viaCookie: true };
  throw new AuthError('unauthenticated');
}

/** Refuses an unsafe, cookie-authenticated request whose X-CSRF-Token does not match its credential. */
export function assertCsrf(tessera: Tessera, request: FastifyRequest, principal: Pick<Principal, 'method' | 'sid' | 'viaCookie'>): void {
  if (!principal.viaCookie || !isUnsafe(request.method)) return;
  const presented = request.headers['x-csrf-token'];
  if (!csrfMatches(tessera.keyring, csrfBinding(principal), typeof presented === 'string' ? presented : undefined)) {
    throw new AuthError('csrf_failed', { detail: 'X-CSRF-Token is missing or does not match the credential' });
  }
}

/**
 * The first hook of every authenticated route group (onRequest: before the body is even parsed, so
 * an anonymous caller learns nothing from validation): resolve, then the CSRF check, then the role.
 */
export function requireAuth(tessera: Tessera, role?: Role): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await resolvePrincipal(tessera, request);
    assertCsrf(tessera, request, principal);
    if (role !== undefined && principal.role !== role) throw new AuthError('forbidden', { detail: `this needs the role ${role}` });
    request.principal = principal;
  };
}
