import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

let t: TestApp;
afterEach(() => t.close());

describe('GET /metrics', () => {
  it('serves Prometheus text with logins, refreshes, revocations and latency by route', async () => {
    t = await testApp();
    await t.register('alice');
    await t.login('alice');
    await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: 'wrong password, long enough' } });
    const { refresh } = await t.tokens('alice');
    await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: refresh } });
    await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: { token: refresh } });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toContain('tessera_logins_total{outcome="success"} 2');
    expect(text).toContain('tessera_logins_total{outcome="failure"} 1');
    expect(text).toContain('tessera_refreshes_total{outcome="success"} 1');
    expect(text).toContain('tessera_revocations_total{kind="family"} 1');
    expect(text).toMatch(/tessera_http_request_duration_seconds_count\{method="POST",route="\/v1\/session",status="200"\} 1/);
    expect(text).toContain('tessera_process_cpu_seconds_total');
    expect(text).toContain('tessera_revocation_feed_staleness_seconds');
    expect(text).toMatch(/^tessera_live_sessions 1$/m);
    await t.register('bob');
    await t.login('bob');
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^tessera_live_sessions 2$/m);
  });

  it('answers 503, not a wrong count, when the session store is down', async () => {
    t = await testApp();
    await t.stores.close();
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('unavailable');
  });

  it('needs the bearer token when TESSERA_METRICS_TOKEN is set', async () => {
    t = await testApp({ TESSERA_METRICS_TOKEN: 'scrape-me-please' });
    const anonymous = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('unauthenticated');
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-me-please' } })).statusCode).toBe(200);
  });

  it('with TESSERA_METRICS_TOKEN set, reads them also with an admin’s own sign-in (the console’s live panel), never a user’s', async () => {
    t = await testApp({ TESSERA_METRICS_TOKEN: 'scrape-me-please' });
    await t.tessera.register('root', PASSWORD, null, 'admin');
    await t.register('alice');
    const admin = await t.login('root');
    const user = await t.login('alice');
    const asAdmin = await t.app.inject({ method: 'GET', url: '/metrics', headers: sessionCookie(admin.cookie) });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.body).toContain('tessera_logins_total{outcome="success"} 2');
    const asUser = await t.app.inject({ method: 'GET', url: '/metrics', headers: sessionCookie(user.cookie) });
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json().code).toBe('forbidden');
    const forged = await t.app.inject({ method: 'GET', url: '/metrics', headers: sessionCookie(`${admin.cookie.slice(0, -2)}xx`) });
    expect(forged.statusCode).toBe(401);
    await t.close();
    // Where admin routes need a second factor, so does this way in.
    t = await testApp({ TESSERA_METRICS_TOKEN: 'scrape-me-please', TESSERA_ADMIN_REQUIRE_MFA: 'true' });
    await t.tessera.register('root', PASSWORD, null, 'admin');
    const passwordOnly = await t.app.inject({ method: 'GET', url: '/metrics', headers: sessionCookie((await t.login('root')).cookie) });
    expect(passwordOnly.statusCode).toBe(403);
    expect(passwordOnly.json().code).toBe('mfa_required');
  });
});

describe('GET /openapi.json and /docs', () => {
  it('documents every endpoint of API.md with its problem responses', async () => {
    t = await testApp({ TESSERA_FEED_SECRET: 'a-feed-secret-of-enough-length' });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const expected: Array<[string, string, string[]]> = [
      ['/v1/users', 'post', ['201', '400', '409', '413', '415', '429']],
      ['/v1/session', 'post', ['200', '400', '401', '429']],
      ['/v1/session', 'get', ['200', '401']],
      ['/v1/session', 'delete', ['204', '403']],
      ['/v1/tokens', 'post', ['200', '401', '429']],
      ['/v1/tokens/refresh', 'post', ['200', '401', '403']],
      ['/v1/tokens/revoke', 'post', ['200', '400']],
      ['/v1/me', 'get', ['200', '401']],
      ['/v1/me/sessions', 'get', ['200', '401']],
      ['/v1/me/sessions', 'delete', ['204', '401']],
      ['/v1/me/sessions/{id}', 'delete', ['204', '404']],
      ['/v1/me/password', 'put', ['204', '400', '401']],
      ['/v1/admin/users', 'get', ['200', '401', '403']],
      ['/v1/admin/users/{id}', 'patch', ['200', '400', '403', '404']],
      ['/v1/admin/users/{id}/sessions', 'delete', ['204', '403', '404']],
      ['/v1/revocations', 'get', ['200', '401', '503']],
      ['/.well-known/jwks.json', 'get', []],
      ['/healthz', 'get', []],
      ['/readyz', 'get', []],
      ['/metrics', 'get', []],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
      for (const status of statuses) expect(Object.keys(operation.responses), `${method} ${path} ${status}`).toContain(status);
    }
  });

  it('serves a page for the document', async () => {
    t = await testApp();
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    const page = res.statusCode === 302 ? await t.app.inject({ method: 'GET', url: res.headers.location as string }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight finish, then refuses new ones', async () => {
    t = await testApp();
    await t.register('alice');
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // A login takes a password hash: close once the server holds the request.
    const received = new Promise((resolve) => t.app.server.once('request', resolve));
    const inFlight = fetch(`${url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: PASSWORD }) });
    await received;
    const closing = t.app.close();
    expect((await inFlight).status).toBe(200);
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
