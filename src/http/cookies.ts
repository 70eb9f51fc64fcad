import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookie names and attributes (API.md, "Credentials"). `__Host-` pins Secure, Path=/ and no Domain;
 * browsers treat http://localhost as secure, so these work in development too.
 */
export const COOKIES = {
  session: '__Host-tessera_session',
  access: '__Host-tessera_access',
  refresh: '__Secure-tessera_refresh',
} as const;

/**
 * A request cookie, parsed on first use: bearer requests, the hot path, never pay for parsing
 * (@fastify/cookie is registered with `hook: false`).
 */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  if (request.cookies === null || request.cookies === undefined) {
    const header = request.headers.cookie;
    request.cookies = header === undefined ? {} : request.server.parseCookie(header);
  }
  return request.cookies[name];
}

const BASE: CookieSerializeOptions = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' };
const REFRESH: CookieSerializeOptions = { ...BASE, sameSite: 'strict', path: '/v1/tokens' };

/** Sets the session cookie: a browser-session cookie, or a persistent one for `remember`. */
export function setSessionCookie(reply: FastifyReply, value: string, maxAgeSeconds: number | null): void {
  reply.setCookie(COOKIES.session, value, maxAgeSeconds === null ? BASE : { ...BASE, maxAge: maxAgeSeconds });
}

export function setTokenCookies(
  reply: FastifyReply,
  tokens: { accessToken: string; expiresIn: number; refreshToken: string; refreshExpiresIn: number },
): void {
  reply.setCookie(COOKIES.access, tokens.accessToken, { ...BASE, maxAge: tokens.expiresIn });
  reply.setCookie(COOKIES.refresh, tokens.refreshToken, { ...REFRESH, maxAge: tokens.refreshExpiresIn });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.setCookie(COOKIES.session, '', { ...BASE, maxAge: 0 });
}

export function clearTokenCookies(reply: FastifyReply): void {
  reply.setCookie(COOKIES.access, '', { ...BASE, maxAge: 0 });
  reply.setCookie(COOKIES.refresh, '', { ...REFRESH, maxAge: 0 });
}
