import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { Socket } from 'node:net';
import type { SigningAlg } from '../core/model.js';
import type { Tessera } from '../core/tessera.js';
import { drainOnClose, guardOrigin, methodNotAllowed, refusePreflight, securityHeaders } from './guards.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { BODY_LIMIT } from './limits.js';
import { handleError, problemOf, sendProblem } from './problem.js';
import { recoveryRoutes, securityRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { discoveryRoutes } from './routes/discovery.js';
import { healthRoutes } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { revocationFeedRoutes } from './routes/revocationFeed.js';
import { sessionRoutes } from './routes/session.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webRoutes } from './routes/web.js';

export interface HttpOptions {
  issuer: string;
  signingAlg: SigningAlg;
  allowedOrigins: readonly string[];
  trustProxy: readonly string[];
  metricsToken: string | null;
  feedSecret: string | null;
  /** Admin routes need a credential with amr `mfa` (TESSERA_ADMIN_REQUIRE_MFA). */
  adminRequireMfa?: boolean;
  logger?: FastifyServerOptions['logger'];
}

export { BODY_LIMIT };

/** Node's own parser answers header overflow before Fastify sees the request: answer it as problem JSON. */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'header_too_large' : 'validation_failed';
  const body = JSON.stringify(problemOf(code));
  const status = code === 'header_too_large' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Builds the HTTP app on an assembled core. It never listens: tests inject, the server listens. */
export async function buildApp(tessera: Tessera, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // No per-request log lines on the hot path; errors are still logged, with the request id.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger (and its redaction set-up) per request: handlers log through the app's logger.
    childLoggerFactory: (logger) => logger,
    bodyLimit: BODY_LIMIT,
    trustProxy: options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    clientErrorHandler,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL, an over-long path segment) go through the same problem JSON.
    frameworkErrors: handleError,
    // Wrong types are 400s, never coerced; unknown members are left alone.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  // Only JSON bodies: no HTML form (or text/plain fetch) can reach an unsafe route (API.md, CSRF).
  // Fastify's parser refuses __proto__ and constructor.prototype keys (prototype poisoning).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body as string, done);
  });
  app.decorateRequest('principal', null);
  app.setErrorHandler(handleError);
  await app.register(cookie, { hook: false });
  // Before CORS: a preflight from an origin that is not allowed is refused as such (403, no CORS headers).
  app.addHook('onRequest', refusePreflight(options.allowedOrigins));
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && options.allowedOrigins.includes(origin)),
    credentials: true,
    allowedHeaders: ['Content-Type', 'Authorization', 'X-CSRF-Token'],
    // Browser code may read these on a cross-origin answer: when to retry, and how to authenticate.
    exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
    // A bare OPTIONS from an allowed origin is answered like a preflight, never with plain text.
    strictPreflight: false,
  });
  app.addHook('onRequest', guardOrigin(options.allowedOrigins));
  app.addHook('onSend', securityHeaders(options.issuer.startsWith('https://'), drainOnClose(app)));
  app.setNotFoundHandler(methodNotAllowed(app));
  await registerOpenApi(app, options.issuer);
  registerMetrics(app, tessera, options.metricsToken, options.adminRequireMfa ?? false);

  await app.register(healthRoutes(tessera));
  await app.register(discoveryRoutes(options.issuer, options.signingAlg));
  await app.register(userRoutes(tessera));
  await app.register(sessionRoutes(tessera));
  await app.register(tokenRoutes(tessera));
  await app.register(meRoutes(tessera));
  await app.register(recoveryRoutes(tessera));
  await app.register(securityRoutes(tessera));
  await app.register(adminRoutes(tessera, { requireMfa: options.adminRequireMfa ?? false }));
  await app.register(revocationFeedRoutes(tessera, options.feedSecret));
  await app.register(webRoutes);
  return app;
}

export { sendProblem };
