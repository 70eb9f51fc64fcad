import type { FastifyInstance, FastifySchema } from 'fastify';
import { Counter, Gauge, type Metric, Registry, collectDefaultMetrics } from 'prom-client';
import { digestsEqual, sha256 } from '../core/crypto.js';
import { AuthError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';
import { sendProblem } from './problem.js';
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

/** One (method, route, status) series: counts per bucket (not cumulative), the last one for +Inf. */
interface LatencySeries {
  labels: { method: string; route: string; status: string };
  counts: Float64Array;
  sum: number;
}

/**
 * Request latency as a Prometheus histogram, counted in place: prom-client's Histogram.observe()
 * builds and hashes a label set on every call, which cost about a tenth of a cached GET /v1/me
 * (issue 6). The series are found by nested look-ups of strings and numbers that already exist, so
 * a request allocates nothing here. The registry formats get()'s answer as it does its own histograms'.
 */
class LatencyHistogram {
  readonly name = 'tessera_http_request_duration_seconds';
  readonly help = 'Request latency by route';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Map<string, Map<number, LatencySeries>>>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const series = this.#seriesOf(method, route, status);
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] ?? Infinity)) bucket++;
    series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
    series.sum += seconds;
  }

  #seriesOf(method: string, route: string, status: number): LatencySeries {
    let byMethod = this.#series.get(route);
    if (byMethod === undefined) this.#series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, counts: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0 };
      byStatus.set(status, series);
    }
    return series;
  }

  /** The shape of prom-client's Histogram.get(): cumulative buckets up to +Inf, then _sum and _count. */
  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const byMethod of this.#series.values()) {
      for (const byStatus of byMethod.values()) {
        for (const { labels, counts, sum } of byStatus.values()) {
          let count = 0;
          counts.forEach((n, i) => {
            count += n;
            values.push({ metricName: `${this.name}_bucket`, labels: { le: LATENCY_BUCKETS[i] ?? '+Inf', ...labels }, value: count });
          });
          values.push({ metricName: `${this.name}_sum`, labels, value: sum }, { metricName: `${this.name}_count`, labels, value: count });
        }
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/**
 * Prometheus metrics: process defaults, logins, refreshes and revocations by outcome, live sessions,
 * the session cache, and request latency by route. Login and revocation counts come from the audit events, so
 * they are counted where they happen, once.
 */
export function registerMetrics(app: FastifyInstance, tessera: Tessera, token: string | null): void {
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
  const latency = new LatencyHistogram();
  // The registry formats it like its own histograms; its type only lists prom-client's classes.
  registry.registerMetric(latency as unknown as Metric);
  tessera.onSecurityEvent((event) => {
    if (event in LOGIN_OUTCOMES) logins.inc({ outcome: LOGIN_OUTCOMES[event as keyof typeof LOGIN_OUTCOMES] });
    if (event in REVOCATION_KINDS) revocations.inc({ kind: REVOCATION_KINDS[event as keyof typeof REVOCATION_KINDS] });
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown';
    latency.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (route === '/v1/tokens/refresh') refreshes.inc({ outcome: REFRESH_OUTCOMES[reply.statusCode] ?? 'error' });
    done();
  });
  const expected = token === null ? null : sha256(`Bearer ${token}`);
  const schema: FastifySchema = {
    operationId: 'getMetrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (a bearer token when TESSERA_METRICS_TOKEN is set)',
    security: [{ metricsToken: [] }, {}],
    produces: ['text/plain'],
    response: { 200: { description: 'Prometheus text exposition format 0.0.4', type: 'string' }, ...problems(401, 503) },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    if (expected && !digestsEqual(sha256(request.headers.authorization ?? ''), expected)) {
      return sendProblem(reply, new AuthError('unauthenticated', { detail: 'the metrics need their bearer token' }), true);
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
