import { MemoryMailTransport } from '../../src/adapters/mail/index.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { parseConfig, type Config } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Stores } from '../../src/core/ports.js';
import type { Tessera } from '../../src/core/tessera.js';
import { buildHttp, openTessera } from '../../src/runtime.js';
import { enforceOpenApi } from './conformance.js';

export const PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: FastifyInstance;
  tessera: Tessera;
  /** The stores under the app, for tests that look at (or tamper with) what was stored. */
  stores: Stores;
  clock: ManualClock;
  config: Config;
  /** The mail the app sent (it is delivered at once, in memory). */
  mail: MemoryMailTransport;
  /** Moves the clock and delivers a feed heartbeat at the new time, as the feed would. */
  advance(ms: number): void;
  register(username: string, password?: string): Promise<{ id: string }>;
  /** Logs in with a cookie session; returns the cookie value and the CSRF token. */
  login(username: string, password?: string, body?: Record<string, unknown>): Promise<{ cookie: string; csrf: string; response: LightMyRequestResponse }>;
  /** Logs in for tokens (body transport). */
  tokens(username: string, password?: string): Promise<{ access: string; refresh: string }>;
  close(): Promise<void>;
}

/** The real app on a fresh in-memory SQLite, with a manual clock. `env` overrides settings. */
export async function testApp(env: Record<string, string> = {}, stores?: (clock: ManualClock) => Promise<Stores>): Promise<TestApp> {
  const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
  const config = parseConfig({ TESSERA_ISSUER: 'http://localhost:8080', ...env });
  const opened = await (stores ?? ((c) => openSqliteStores(':memory:', { clock: c })))(clock);
  const mail = new MemoryMailTransport();
  const tessera = await openTessera(config, { clock, stores: opened, core: { heartbeats: 'manual' }, mail });
  await tessera.start({ upkeep: false });
  const app = await buildHttp(tessera, config);
  // Every answer the HTTP suites get is checked against the served OpenAPI document (issue 11).
  await enforceOpenApi(app);
  const t: TestApp = {
    app,
    tessera,
    stores: opened,
    clock,
    config,
    mail,
    advance(ms) {
      clock.advance(ms);
      tessera.feedHeartbeat(clock.now());
    },
    async register(username, password = PASSWORD) {
      const res = await app.inject({ method: 'POST', url: '/v1/users', payload: { username, password } });
      if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async login(username, password = PASSWORD, body = {}) {
      const response = await app.inject({ method: 'POST', url: '/v1/session', payload: { username, password, ...body } });
      if (response.statusCode !== 200) throw new Error(`login ${username}: ${response.statusCode} ${response.body}`);
      const cookie = response.cookies.find((c) => c.name === '__Host-tessera_session')?.value ?? '';
      return { cookie, csrf: response.json().csrfToken, response };
    },
    async tokens(username, password = PASSWORD) {
      const res = await app.inject({ method: 'POST', url: '/v1/tokens', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`tokens ${username}: ${res.statusCode} ${res.body}`);
      return { access: res.json().access_token, refresh: res.json().refresh_token };
    },
    async close() {
      await app.close();
      await tessera.close();
    },
  };
  return t;
}

export const sessionCookie = (value: string): Record<string, string> => ({ cookie: `__Host-tessera_session=${value}` });
