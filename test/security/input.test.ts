import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';
import { expectProblem } from './attack.js';

/**
 * Response headers and hostile input (API.md "Conventions", "Operations"; ASVS 5.0 V3.4.1, V3.4.4,
 * V14.3.2, V2.2.1, V4.1.1, V13.4.4, V16.5.1, V16.5.3). Nothing a client sends may produce a 500.
 */

let t: TestApp;
afterEach(() => t.close());

type Req = { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'; url: string; payload?: string | Record<string, unknown>; headers?: Record<string, string> };

/** One request of every kind of answer the app gives: success, each 4xx, a preflight, the docs. */
async function everyKindOfAnswer(): Promise<LightMyRequestResponse[]> {
  await t.register('alice');
  const { cookie, csrf } = await t.login('alice');
  const requests: Req[] = [
    { method: 'GET', url: '/healthz' },
    { method: 'GET', url: '/readyz' },
    { method: 'GET', url: '/.well-known/jwks.json' },
    { method: 'GET', url: '/openapi.json' },
    { method: 'GET', url: '/docs' },
    { method: 'GET', url: '/metrics' },
    { method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) },
    { method: 'GET', url: '/v1/session', headers: sessionCookie(cookie) },
    { method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } },
    { method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD } },
    { method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } },
    { method: 'POST', url: '/v1/users', payload: '{', headers: { 'content-type': 'application/json' } },
    { method: 'POST', url: '/v1/session', payload: { username: 'alice', password: 'wrong password, long' } },
    { method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer x.y.z' } },
    { method: 'DELETE', url: '/v1/me/sessions', headers: sessionCookie(cookie) },
    { method: 'GET', url: '/v1/admin/users', headers: sessionCookie(cookie) },
    { method: 'GET', url: '/v1/nowhere' },
    { method: 'PUT', url: '/v1/session' },
    { method: 'POST', url: '/v1/users', payload: { username: 'big', password: 'x'.repeat(17 * 1024) } },
    { method: 'POST', url: '/v1/users', payload: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { method: 'OPTIONS', url: '/v1/me', headers: { origin: 'http://localhost:8080', 'access-control-request-method': 'GET' } },
    { method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(cookie), 'x-csrf-token': csrf } },
  ];
  const answers: LightMyRequestResponse[] = [];
  for (const request of requests) answers.push(await t.app.inject(request));
  expect(new Set(answers.map((a) => a.statusCode))).toEqual(new Set([200, 204, 400, 401, 403, 404, 405, 413, 415]));
  return answers;
}

describe('headers on every response', () => {
  it('sends X-Content-Type-Options: nosniff on every kind of answer, and no HSTS for an http issuer', async () => {
    t = await testApp();
    for (const res of await everyKindOfAnswer()) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    t.clock.advance(11_000); // a stale feed: 503 too
    const stale = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(stale.statusCode).toBe(503);
    expect(stale.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends HSTS for a year with subdomains on every kind of answer when the issuer is https', async () => {
    t = await testApp({ TESSERA_ISSUER: 'https://auth.example.com' });
    for (const res of await everyKindOfAnswer()) {
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('sends Cache-Control: no-store on every response that carries a credential, and on every API answer', async () => {
    t = await testApp();
    await t.register('alice');
    const { cookie, csrf, response } = await t.login('alice');
    const tokens = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD } });
    const cookieTokens = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const refreshed = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: tokens.json().refresh_token } });
    const session = await t.app.inject({ method: 'GET', url: '/v1/session', headers: sessionCookie(cookie) });
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) });
    const sessions = await t.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: sessionCookie(cookie) });
    const logout = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(cookie), 'x-csrf-token': csrf } });
    for (const res of [response, tokens, cookieTokens, refreshed, session, me, sessions, logout]) {
      expect(res.statusCode).toBeLessThan(300);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    // The one public, cacheable answer carries no credential.
    const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.headers['cache-control']).toBe('public, max-age=60');
    expect(jwks.headers['set-cookie']).toBeUndefined();
  });
});

describe('bad input is a 4xx, never a 500', () => {
  const unsafe: Array<[Req['method'], string]> = [
    ['POST', '/v1/users'],
    ['POST', '/v1/session'],
    ['POST', '/v1/tokens'],
    ['POST', '/v1/tokens/refresh'],
    ['POST', '/v1/tokens/revoke'],
    ['PUT', '/v1/me/password'],
    ['PATCH', '/v1/admin/users/00000000-0000-7000-8000-000000000000'],
  ];

  async function asAdmin(): Promise<Record<string, string>> {
    await t.tessera.register('root', PASSWORD, null, 'admin');
    const { access } = await t.tokens('root');
    return { authorization: `Bearer ${access}` };
  }

  it('answers malformed JSON with 400 validation_failed on every endpoint that takes a body', async () => {
    t = await testApp();
    const auth = await asAdmin();
    for (const [method, url] of unsafe) {
      for (const body of ['{', '{"username": "x",', 'nul', '{"a":1}}', '\u0000', '{"username":"\\ud800"', '[' .repeat(5000) + ']'.repeat(5000), '"text"', '12', 'null']) {
        const res = await t.app.inject({ method, url, payload: body, headers: { 'content-type': 'application/json', ...auth } });
        expect(res.statusCode, `${method} ${url} ${body.slice(0, 20)}`).toBe(400);
        expect(res.json().code).toBe('validation_failed');
      }
    }
  });

  it('answers wrong types with 400 and field errors, never coercing them', async () => {
    t = await testApp();
    const auth = await asAdmin();
    const cases: Array<[Req['method'], string, Record<string, unknown>]> = [
      ['POST', '/v1/users', { username: 123, password: PASSWORD }],
      ['POST', '/v1/users', { username: ['alice'], password: PASSWORD }],
      ['POST', '/v1/session', { username: 'root', password: { $ne: '' } }],
      ['POST', '/v1/session', { username: 'root', password: PASSWORD, remember: 'yes' }],
      ['POST', '/v1/session', { username: null, password: PASSWORD }],
      ['POST', '/v1/tokens', { username: 'root', password: PASSWORD, transport: 'url' }],
      ['POST', '/v1/tokens', { username: 'root', password: true }],
      ['POST', '/v1/tokens/refresh', { refresh_token: 42 }],
      ['POST', '/v1/tokens/revoke', { token: { sid: 'x' } }],
      ['PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 123456789012345 }],
      ['PATCH', '/v1/admin/users/00000000-0000-7000-8000-000000000000', { role: 'root' }],
      ['PATCH', '/v1/admin/users/00000000-0000-7000-8000-000000000000', { disabled: 'true' }],
    ];
    for (const [method, url, payload] of cases) {
      const res = await t.app.inject({ method, url, payload, headers: auth });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(res.json().code).toBe('validation_failed');
      expect(res.json().errors?.length).toBeGreaterThan(0);
    }
  });

  it('answers bodies over 16 KiB with 413, announced or chunked', async () => {
    t = await testApp();
    const auth = await asAdmin();
    for (const [method, url] of unsafe) {
      const big = JSON.stringify({ username: 'x', password: 'y'.repeat(17 * 1024) });
      expectProblem(await t.app.inject({ method, url, payload: big, headers: { 'content-type': 'application/json', ...auth } }), 413, 'payload_too_large');
    }
    const { Readable } = await import('node:stream');
    const chunked = Readable.from([Buffer.from('{"username":"x","password":"'), Buffer.alloc(20 * 1024, 'a'), Buffer.from('"}')]);
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/users', payload: chunked, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
  });

  it('answers odd strings in well-typed fields without a 500: NUL, lone surrogates, huge and bidi names', async () => {
    t = await testApp();
    for (const username of ['\u0000', 'ali\u0000ce', '\ud800', 'a\u202eecila', 'x'.repeat(1024), ' ', '../../etc/passwd', "' OR 1=1 --"]) {
      const login = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username, password: PASSWORD } });
      // Ill-formed Unicode (a lone surrogate) is refused as such; anything else is just a name nobody has.
      if (username.isWellFormed()) expectProblem(login, 401, 'invalid_credentials');
      else expectProblem(login, 400, 'validation_failed');
      const register = await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username, password: PASSWORD } });
      expectProblem(register, 400, 'validation_failed');
    }
    for (const password of [`${'\u0000'.repeat(20)}`, '\u202e'.repeat(20)]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: `odd${password.codePointAt(0)}`, password } });
      expect([201, 400]).toContain(res.statusCode);
    }
  });

  it('refuses ill-formed Unicode in passwords: lone surrogates would all hash as U+FFFD, one password', async () => {
    t = await testApp();
    await t.register('alice');
    const base = 'correct horse battery ';
    const lone = [`${base}\ud800\ud800`, `${base}\udfff\udbff`];
    for (const password of lone) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'mallory', password } });
      expectProblem(res, 400, 'validation_failed');
      expect(res.json().errors).toEqual([{ field: 'password', code: 'invalid_characters', message: 'must be well-formed Unicode (no lone surrogates)' }]);
      expectProblem(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password } }), 400, 'validation_failed');
    }
    // U+FFFD itself is a character like any other.
    expect((await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'mallory', password: `${base}\ufffd\ufffd` } })).statusCode).toBe(201);
    const { cookie, csrf } = await t.login('alice');
    const change = await t.app.inject({
      method: 'PUT',
      url: '/v1/me/password',
      payload: { currentPassword: PASSWORD, newPassword: lone[0] },
      headers: { cookie: `__Host-tessera_session=${cookie}`, 'x-csrf-token': csrf },
    });
    expectProblem(change, 400, 'validation_failed');
    expect(change.json().errors[0]).toMatchObject({ field: 'newPassword', code: 'invalid_characters' });
  });

  it.each([
    ['a bad percent-encoding', '__Host-tessera_session=%E0%A4%A'],
    ['an empty value', '__Host-tessera_session='],
    ['a quoted value', '__Host-tessera_session="AAAA.BBBB"'],
    ['only separators', ';;;=;'],
    ['a value full of dots', `__Host-tessera_session=${'.'.repeat(300)}`],
    ['two session cookies', '__Host-tessera_session=a.b; __Host-tessera_session=c.d'],
    ['a broken access cookie', '__Host-tessera_access=%%%'],
    ['an access cookie of dots', '__Host-tessera_access=..'],
  ])('answers a cookie header with %s with 401', async (_label, cookie) => {
    t = await testApp();
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } });
    expect(res.statusCode).toBe(401);
    expect(['unauthenticated', 'invalid_token']).toContain(res.json().code);
    const refresh = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', headers: { cookie: cookie.replace('__Host-tessera_session', '__Secure-tessera_refresh') } });
    expect([400, 401]).toContain(refresh.statusCode);
  });

  it.each([
    ['Bearer'],
    ['Bearer '],
    ['bearer x.y.z'],
    ['Bearer\tx.y.z'],
    ['Bearer x.y.z extra'],
    ['Bearer ...'],
    ['Bearer ..'],
    ['Bearer =.=.='],
    ['Basic YWxpY2U6cGFzc3dvcmQ='],
    ['Token abc'],
    ['Bearer%20x.y.z'],
    ['Bearer ' + 'e30.'.repeat(3000)],
    [''],
  ])('answers Authorization %j with 401', async (authorization) => {
    t = await testApp();
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });
    expect(res.statusCode).toBe(401);
    expect(['invalid_token', 'unauthenticated']).toContain(res.json().code);
  });

  it('answers unknown methods and TRACE without a 500 (ASVS 5.0 V13.4.4)', async () => {
    t = await testApp();
    for (const method of ['TRACE', 'PROPFIND', 'CONNECT'] as const) {
      const res = await t.app.inject({ method: method as 'GET', url: '/v1/me' });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
  });

  it('answers hostile query strings and path parameters on the admin API with 4xx, never 500', async () => {
    t = await testApp();
    const auth = await asAdmin();
    for (const url of [
      '/v1/admin/users?limit=-1',
      '/v1/admin/users?limit=99999999999999999999',
      '/v1/admin/users?limit=1&limit=2',
      '/v1/admin/users?cursor=%00%ff',
      `/v1/admin/users?cursor=${'A'.repeat(200)}`,
      '/v1/admin/users?__proto__[role]=admin',
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode, url).toBeLessThan(500);
    }
    for (const id of ['%2e%2e%2f%2e%2e', 'x'.repeat(100), "'; drop table users; --"]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${encodeURIComponent(id)}`, payload: { role: 'user' }, headers: auth });
      expect([400, 404]).toContain(res.statusCode);
    }
    expect((await t.tessera.listUsers(10)).map((u) => u.username)).toEqual(['root']);
  });
});
