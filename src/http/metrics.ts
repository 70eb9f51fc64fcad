import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { digestsEqual, sha256 } from '../core/crypto.js';
import { AuthError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';
import { resolvePrincipal } from './auth.js';
import { problems } from './schemas.js';

const LOGIN_OUTCOMES = { login_success: 'success', login_failure: 'failure', login_throttled: 'throttled' } as const;
const REVOCATION_KINDS = {
  logout: 'logout',
  session_revoked: 'session',
  family_revoked: 'family',
  user_revoked: 'user',
  refresh_reuse_detected: 'reuse',
} as const;

const REFRESH_OUTCOMES: Record<number, string> = { 200: 'success', 400: 'invalid', 401: 'refused', 403: 'csrf_failed', 503: 'unavailable' };

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * prom-client's labelled children, one per (route, method, status), found by nested look-ups of
 * values that already exist: an observation costs about 0.4 µs here (`child.observe` validates and
 * hashes its labels), measured against 0.5 µs for `observe(labels)`.
 */
function latencyHistogram(registry: Registry): (method: string, route: string, status: number, seconds: number) => void {
  const histogram = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const children = new Map<string, Map<string, Map<number, Histogram.Internal<'method' | 'route' | 'status'>>>>();
  return (method, route, status, seconds) => {
    let byMethod = children.get(route);
    if (byMethod === undefined) children.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (child === undefined) byStatus.set(status, (child = histogram.labels(method, route, String(status))));
    child.observe(seconds);
  };
}

/**
 * Prometheus metrics: process defaults, logins, refreshes and revocations by outcome, live sessions,
 * the session cache, and request latency by route. Login and revocation counts come from the audit events, so
 * they are counted where they happen, once.
 */
/**
 * Without the scraper's token, an admin's own credential reads the metrics too: the console's live
 * panel runs in the admin's browser, which never holds that token.
 */
async function assertAdmin(tessera: Tessera, request: FastifyRequest, requireMfa: boolean): Promise<void> {
  const principal = await Promise.resolve()
    .then(() => resolvePrincipal(tessera, request))
    .catch((error: unknown) => {
      if (error instanceof AuthError && error.code === 'unauthenticated') throw new AuthError('unauthenticated', { detail: 'the metrics need their bearer token, or an admin’s sign-in' });
      throw error;
    });
  if (principal.role !== 'admin') throw new AuthError('forbidden', { detail: 'the metrics need their bearer token, or the role admin' });
  if (requireMfa && !principal.auth.amr.includes('mfa')) throw new AuthError('mfa_required', { detail: 'this needs a sign-in with a second factor' });
}

export function registerMetrics(app: FastifyInstance, tessera: Tessera, token: string | null, adminRequireMfa: boolean): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_' });
  // prom-client names three gauges like counters (`_total`), which promtool refuses; the same counts
  // remain, by type, in tessera_nodejs_active_{handles,requests,resources} (sum over `type`).
  for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`tessera_nodejs_active_${kind}_total`);
  const logins = new Counter({ name: 'tessera_logins_total', help: 'Password checks by outcome', labelNames: ['outcome'], registers: [registry] });
  const refreshes = new Counter({ name: 'tessera_refreshes_total', help: 'Refresh-token uses by outcome', labelNames: ['outcome'], registers: [registry] });
  const revocations = new Counter({ name: 'tessera_revocations_total', help: 'Revocations by kind', labelNames: ['kind'], registers: [registry] });
  new Gauge({
    name: 'tessera_session_cache_entries',
    help: 'Validated cookie sessions held in this instance’s cache',
    registers: [registry],
    collect() {
      this.set(tessera.cachedSessionCount);
    },
  });
  new Gauge({
    name: 'tessera_live_sessions',
    help: 'Cookie sessions alive in the store, on every instance (a store failure makes /metrics a 503)',
    registers: [registry],
    async collect() {
      this.set(await tessera.liveSessionCount());
    },
  });
  new Gauge({
    name: 'tessera_revocation_feed_staleness_seconds',
    help: 'Seconds since the revocation feed last proved alive',
    registers: [registry],
    collect() {
      this.set(Math.max(0, tessera.feedStaleness() / 1000));
    },
  });
  const observeLatency = latencyHistogram(registry);
  tessera.onSecurityEvent((event) => {
    if (event in LOGIN_OUTCOMES) logins.inc({ outcome: LOGIN_OUTCOMES[event as keyof typeof LOGIN_OUTCOMES] });
    if (event in REVOCATION_KINDS) revocations.inc({ kind: REVOCATION_KINDS[event as keyof typeof REVOCATION_KINDS] });
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    observeLatency(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (route === '/v1/tokens/refresh') refreshes.inc({ outcome: REFRESH_OUTCOMES[reply.statusCode] ?? 'error' });
    done();
  });
  const expected = token === null ? null : sha256(`Bearer ${token}`);
  const schema: FastifySchema = {
    operationId: 'getMetrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (when TESSERA_METRICS_TOKEN is set: that bearer token, or an admin’s own credential)',
    security: [{ metricsToken: [] }, {}],
    produces: ['text/plain'],
    response: { 200: { description: 'Prometheus text exposition format 0.0.4', type: 'string' }, ...problems(401, 403, 503) },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    if (expected && !digestsEqual(sha256(request.headers.authorization ?? ''), expected)) await assertAdmin(tessera, request, adminRequireMfa);
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
