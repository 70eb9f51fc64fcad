import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { digestsEqual, sha256 } from '../core/crypto.js';
import { AuthError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';
import { sendProblem } from './problem.js';

const LOGIN_OUTCOMES = { login_success: 'success', login_failure: 'failure', login_throttled: 'throttled' } as const;
const REVOCATION_KINDS = {
  logout: 'logout',
  session_revoked: 'session',
  family_revoked: 'family',
  user_revoked: 'user',
  refresh_reuse_detected: 'reuse',
} as const;

const REFRESH_OUTCOMES: Record<number, string> = { 200: 'success', 400: 'invalid', 401: 'refused', 403: 'csrf_failed', 503: 'unavailable' };

/**
 * Prometheus metrics: process defaults, logins, refreshes and revocations by outcome, the session
 * cache, and request latency by route. Login and revocation counts come from the audit events, so
 * they are counted where they happen, once.
 */
export function registerMetrics(app: FastifyInstance, tessera: Tessera, token: string | null): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_' });
  const logins = new Counter({ name: 'tessera_logins_total', help: 'Password checks by outcome', labelNames: ['outcome'], registers: [registry] });
  const refreshes = new Counter({ name: 'tessera_refreshes_total', help: 'Refresh-token uses by outcome', labelNames: ['outcome'], registers: [registry] });
  const revocations = new Counter({ name: 'tessera_revocations_total', help: 'Revocations by kind', labelNames: ['kind'], registers: [registry] });
  new Gauge({
    name: 'tessera_session_cache_entries',
    help: 'Validated cookie sessions held in this instance’s cache',
    registers: [registry],
    collect() {
      this.set(tessera.sessions.cachedCount);
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_staleness_seconds',
    help: 'Seconds since the revocation feed last proved alive',
    registers: [registry],
    collect() {
      this.set(Math.max(0, tessera.revocations.staleness() / 1000));
    },
  });
  const latency = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  tessera.audit.observe((event) => {
    if (event in LOGIN_OUTCOMES) logins.inc({ outcome: LOGIN_OUTCOMES[event as keyof typeof LOGIN_OUTCOMES] });
    if (event in REVOCATION_KINDS) revocations.inc({ kind: REVOCATION_KINDS[event as keyof typeof REVOCATION_KINDS] });
  });
  // One labelled child per route, method and status, looked up by a string key: hashing the label
  // object on every request would cost more than the observation.
  const children = new Map<string, ReturnType<typeof latency.labels>>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let child = children.get(key);
    if (child === undefined) {
      child = latency.labels({ method: request.method, route, status: String(reply.statusCode) });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    if (route === '/v1/tokens/refresh') refreshes.inc({ outcome: REFRESH_OUTCOMES[reply.statusCode] ?? 'error' });
    done();
  });
  const expected = token === null ? null : sha256(`Bearer ${token}`);
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (a bearer token when TESSERA_METRICS_TOKEN is set)' } }, async (request, reply) => {
    if (expected && !digestsEqual(sha256(request.headers.authorization ?? ''), expected)) {
      return sendProblem(reply, new AuthError('unauthenticated', { detail: 'the metrics need their bearer token' }), true);
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
