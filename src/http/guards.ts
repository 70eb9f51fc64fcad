import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import { AuthError } from '../core/errors.js';
import { isUnsafe } from './auth.js';
import { sendProblem } from './problem.js';

/**
 * Refuses any unsafe request from a foreign origin, logins and registrations included (login CSRF):
 * an `Origin` that is neither the issuer's nor allowed, or `Sec-Fetch-Site: cross-site` (OWASP CSRF
 * cheat sheet, "Verifying origin with standard headers" and "Fetch metadata"). No Origin passes.
 */
export function guardOrigin(allowedOrigins: readonly string[]): onRequestHookHandler {
  const allowed = new Set(allowedOrigins);
  return (request, reply, done) => {
    if (!isUnsafe(request.method)) return done();
    const origin = request.headers.origin;
    if ((origin !== undefined && !allowed.has(origin)) || request.headers['sec-fetch-site'] === 'cross-site') {
      sendProblem(reply, new AuthError('csrf_failed', { detail: 'cross-site requests are refused' }));
      return;
    }
    done();
  };
}

/**
 * A CORS preflight (OPTIONS with an Origin) from an origin that is not allowed: refused as such, 403
 * with problem JSON and no CORS headers, rather than a 405 or 404 that would say nothing useful.
 */
export function refusePreflight(allowedOrigins: readonly string[]): onRequestHookHandler {
  const allowed = new Set(allowedOrigins);
  return (request, reply, done) => {
    const origin = request.headers.origin;
    if (request.method !== 'OPTIONS' || origin === undefined || allowed.has(origin)) return done();
    sendProblem(reply, new AuthError('forbidden', { detail: 'this origin may not make cross-origin requests here' }));
  };
}

/** Headers on every response (API.md, "Operations"), and `Connection: close` while draining. */
export function securityHeaders(https: boolean, draining: () => boolean): onSendHookHandler {
  return (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (draining()) reply.header('connection', 'close');
    if (https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  };
}

/** Turns a path pattern like /v1/me/sessions/:id into a matcher. */
const matcher = (url: string): RegExp =>
  new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`);

/**
 * 404 for unknown routes, 405 with `Allow` for a known route and the wrong method. Fastify answers
 * 404 for both, so the routes are collected as they are added.
 */
export function methodNotAllowed(app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply) => void {
  const routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const existing = routes.find((r) => r.pattern.source === matcher(route.url).source);
    if (existing) for (const m of methods) existing.methods.add(m);
    else routes.push({ pattern: matcher(route.url), methods: new Set(methods) });
  });
  return (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const route = routes.find((r) => r.pattern.test(path));
    if (!route) return void sendProblem(reply, new AuthError('not_found', { detail: 'no such route' }));
    reply.header('allow', [...route.methods].filter((m) => m !== 'HEAD').join(', '));
    sendProblem(reply, new AuthError('method_not_allowed'));
  };
}

/**
 * Graceful shutdown: once closing starts, answers to requests still in flight carry
 * `Connection: close` (see securityHeaders), so that keep-alive connections end with them instead of
 * holding the close open until their idle timeout.
 */
export function drainOnClose(app: FastifyInstance): () => boolean {
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  return () => draining;
}
