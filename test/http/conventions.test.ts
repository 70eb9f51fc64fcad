import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

let t: TestApp;
afterEach(() => t.close());

describe('conventions of every response', () => {
  it('answers an unknown route 404 and a wrong method 405 with Allow, as problem JSON', async () => {
    t = await testApp();
    const missing = await t.app.inject({ method: 'GET', url: '/v1/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(missing.json()).toMatchObject({ type: 'urn:tessera:problem:not_found', code: 'not_found', status: 404, title: 'Not found' });
    const wrong = await t.app.inject({ method: 'PUT', url: '/v1/session' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.json().code).toBe('method_not_allowed');
    expect(wrong.headers.allow).toBe('POST, GET, DELETE');
  });

  it('sends nosniff everywhere, and HSTS only when the issuer is https', async () => {
    t = await testApp();
    for (const url of ['/healthz', '/v1/nope', '/.well-known/jwks.json']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    await t.close();
    t = await testApp({ TESSERA_ISSUER: 'https://auth.example.com' });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('answers headers over Node’s limit with 431 problem JSON', async () => {
    t = await testApp();
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-big': 'a'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body).code).toBe('header_too_large');
  });

  it('reports health and readiness', async () => {
    t = await testApp();
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', stores: 'ok', feed: 'fresh' });
    t.clock.advance(11_000); // no heartbeat for 11 s: the feed is stale
    const stale = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(stale.statusCode).toBe(503);
    expect(stale.json().feed).toBe('stale');
  });
});

describe('cross-site request forgery and CORS', () => {
  it('refuses unsafe requests from a foreign Origin or a cross-site fetch, login and registration included', async () => {
    t = await testApp();
    await t.register('alice');
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]) {
      for (const [url, payload] of [
        ['/v1/session', { username: 'alice', password: PASSWORD }],
        ['/v1/users', { username: 'mallory', password: PASSWORD }],
        ['/v1/tokens', { username: 'alice', password: PASSWORD }],
      ] as const) {
        const res = await t.app.inject({ method: 'POST', url, payload, headers });
        expect(res.statusCode).toBe(403);
        expect(res.json().code).toBe('csrf_failed');
      }
    }
  });

  it('accepts the issuer’s own origin, a same-site fetch, and requests without Origin', async () => {
    t = await testApp();
    await t.register('alice');
    for (const headers of [{ origin: 'http://localhost:8080' }, { 'sec-fetch-site': 'same-origin' }, {}]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers });
      expect(res.statusCode).toBe(200);
    }
  });

  it('answers CORS only for allowed origins, with credentials, never * or null', async () => {
    t = await testApp({ TESSERA_ALLOWED_ORIGINS: 'https://app.example' });
    const allowed = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/me',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    for (const origin of ['https://evil.example', 'null']) {
      const refused = await t.app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin, 'access-control-request-method': 'GET' } });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('requires the CSRF token for cookie-authenticated unsafe requests but not for bearer ones', async () => {
    t = await testApp();
    await t.register('alice');
    const { cookie } = await t.login('alice');
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: sessionCookie(cookie) });
    expect(res.statusCode).toBe(403);
  });
});

describe('the revocation feed fails closed', () => {
  it('answers 503 to credential checks once the feed is silent past the staleness bound', async () => {
    t = await testApp();
    await t.register('alice');
    const { cookie } = await t.login('alice');
    const { access } = await t.tokens('alice');
    t.clock.advance(9_000);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) })).statusCode).toBe(200);
    t.clock.advance(2_000);
    for (const headers of [sessionCookie(cookie), { authorization: `Bearer ${access}` }]) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'unavailable', detail: 'the revocation feed is stale' });
      expect(res.headers['retry-after']).toBe('1');
    }
    t.advance(0);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) })).statusCode).toBe(200);
  });
});

describe('a store failure', () => {
  it('answers 503 with Retry-After, never 500 and never access', async () => {
    t = await testApp();
    await t.register('alice');
    const { cookie } = await t.login('alice');
    await t.stores.close(); // the database goes away under the running app
    const attempts = [
      await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'bob', password: PASSWORD } }),
      await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } }),
      await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: 'wrong password, long enough' } }),
      await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(`${cookie.split('.')[0]}.${'A'.repeat(43)}`) }),
      await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie('AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43)) }),
      await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: 'AAAAAAAAAAAAAAAAAAAAAA.' + 'A'.repeat(48) } }),
    ];
    for (const res of attempts) {
      expect([503, 401]).toContain(res.statusCode);
      if (res.statusCode === 503) {
        expect(res.json().code).toBe('unavailable');
        expect(res.headers['retry-after']).toBe('1');
      }
    }
    expect(attempts.slice(0, 3).map((r) => r.statusCode)).toEqual([503, 503, 503]);
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', stores: 'failing' });
    expect(ready.json().failure).toMatch(/^the \w[\w ]+: /);
  });
});
