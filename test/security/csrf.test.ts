import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';
import { cookieHeader, expectProblem } from './attack.js';

/**
 * Session fixation, cross-site request forgery and CORS (API.md "Cross-site request forgery"; ASVS 5.0
 * V3.3, V3.4.2, V3.5.1-V3.5.3, V7.2.4; OWASP CSRF Prevention and Session Management cheat sheets).
 */

let t: TestApp;
afterEach(() => t.close());

const NEW_PASSWORD = 'an entirely new passphrase 2026';
const changePassword = (headers: Record<string, string>, body: unknown = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }) =>
  t.app.inject({ method: 'PUT', url: '/v1/me/password', payload: body as Record<string, unknown>, headers });
const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/v1/me', headers });

describe('session fixation (ASVS 5.0 V7.2.4; OWASP Session Management cheat sheet, "Renew the Session ID After Any Privilege Level Change")', () => {
  it('never adopts a session id planted by the client, well-formed or not', async () => {
    t = await testApp();
    await t.register('alice');
    for (const planted of ['AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43), 'attacker-chosen-id', '']) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers: sessionCookie(planted) });
      expect(res.statusCode).toBe(200);
      const issued = res.cookies.find((c) => c.name === '__Host-tessera_session')!.value;
      expect(issued).not.toBe(planted);
      expect(issued.split('.')[0]).not.toBe(planted.split('.')[0]);
      expect(res.json().session.id).toBe(issued.split('.')[0]);
      expectProblem(await me(sessionCookie(planted)), 401, 'unauthenticated');
    }
  });

  it('gives an attacker’s own valid session, planted in the victim’s browser, no hold over the victim’s login', async () => {
    t = await testApp();
    await t.register('alice');
    await t.register('mallory');
    const planted = await t.login('mallory');
    const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers: sessionCookie(planted.cookie) });
    const issued = res.cookies.find((c) => c.name === '__Host-tessera_session')!.value;
    expect(issued).not.toBe(planted.cookie);
    expect((await me(sessionCookie(issued))).json().username).toBe('alice');
    // The planted session is the one the login replaces: it ends (ASVS 5.0 V7.2.4, below).
    expectProblem(await me(sessionCookie(planted.cookie)), 401, 'session_revoked');
  });

  // ASVS 5.0 V7.2.4: authentication "terminates the current session token": a live session cookie sent
  // with a successful login is revoked, so a token stolen before a re-login stops working.
  it('terminates the session a re-login replaces (ASVS 5.0 V7.2.4)', async () => {
    t = await testApp();
    await t.register('alice');
    const before = await t.login('alice');
    const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers: sessionCookie(before.cookie) });
    expect(res.statusCode).toBe(200);
    expectProblem(await me(sessionCookie(before.cookie)), 401, 'session_revoked');
  });
});

describe('CSRF token (OWASP CSRF cheat sheet, "Synchronizer Token Pattern")', () => {
  it('refuses a cookie-authenticated unsafe request with a missing, wrong, truncated or other session’s token', async () => {
    t = await testApp();
    await t.register('alice');
    await t.register('bob');
    const alice = await t.login('alice');
    const alice2 = await t.login('alice');
    const bob = await t.login('bob');
    for (const token of [undefined, '', 'A'.repeat(43), alice.csrf.slice(1), `${alice.csrf}=`, alice.csrf.toUpperCase(), bob.csrf, alice2.csrf]) {
      const headers: Record<string, string> = { ...sessionCookie(alice.cookie), ...(token === undefined ? {} : { 'x-csrf-token': token }) };
      expectProblem(await changePassword(headers), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'DELETE', url: '/v1/me/sessions', headers }), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'DELETE', url: '/v1/session', headers }), 403, 'csrf_failed');
    }
    expect((await me(sessionCookie(alice.cookie))).statusCode).toBe(200);
    expect((await me(sessionCookie(alice2.cookie))).statusCode).toBe(200);
    expect((await changePassword({ ...sessionCookie(alice.cookie), 'x-csrf-token': alice.csrf })).statusCode).toBe(204);
  });

  it('binds token-family CSRF tokens to their family: a session’s token does not refresh, revoke or act with the cookies of a family', async () => {
    t = await testApp();
    await t.register('alice');
    const session = await t.login('alice');
    const login = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const familyCsrf = login.json().csrfToken as string;
    const access = login.cookies.find((c) => c.name === '__Host-tessera_access')!.value;
    const refreshCookie = login.cookies.find((c) => c.name === '__Secure-tessera_refresh')!.value;
    for (const token of [undefined, session.csrf, 'A'.repeat(43)]) {
      const csrf: Record<string, string> = token === undefined ? {} : { 'x-csrf-token': token };
      const withRefresh = { ...cookieHeader({ '__Secure-tessera_refresh': refreshCookie }), ...csrf };
      expectProblem(await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', headers: withRefresh }), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', headers: withRefresh }), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'DELETE', url: '/v1/me/sessions', headers: { ...cookieHeader({ '__Host-tessera_access': access }), ...csrf } }), 403, 'csrf_failed');
    }
    // The family's own token with a session cookie is refused too.
    expectProblem(await changePassword({ ...sessionCookie(session.cookie), 'x-csrf-token': familyCsrf }), 403, 'csrf_failed');
    const ok = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', headers: { ...cookieHeader({ '__Secure-tessera_refresh': refreshCookie }), 'x-csrf-token': familyCsrf } });
    expect(ok.statusCode).toBe(200);
  });

  it('exempts bearer requests, whose credential no browser sends by itself', async () => {
    t = await testApp();
    await t.register('alice');
    const { access } = await t.tokens('alice');
    expect((await changePassword({ authorization: `Bearer ${access}` })).statusCode).toBe(204);
  });
});

describe('Origin and Fetch Metadata (OWASP CSRF cheat sheet, "Verifying Origin With Standard Headers", "Fetch Metadata")', () => {
  const foreign: Array<Record<string, string>> = [
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: 'http://localhost:8080.evil.example' },
    { origin: 'http://localhost:8081' },
    { origin: 'https://localhost:8080' },
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'http://localhost:8080', 'sec-fetch-site': 'cross-site' },
  ];

  it('refuses a foreign Origin, Origin: null and Sec-Fetch-Site: cross-site even with a valid CSRF token', async () => {
    t = await testApp();
    await t.register('alice');
    const alice = await t.login('alice');
    for (const headers of foreign) {
      expectProblem(await changePassword({ ...sessionCookie(alice.cookie), 'x-csrf-token': alice.csrf, ...headers }), 403, 'csrf_failed');
      expectProblem(await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(alice.cookie), 'x-csrf-token': alice.csrf, ...headers } }), 403, 'csrf_failed');
    }
    expect((await me(sessionCookie(alice.cookie))).statusCode).toBe(200);
  });

  it('refuses login CSRF and registration from a foreign site: no session is made, no cookie is set', async () => {
    t = await testApp();
    await t.register('mallory');
    for (const headers of foreign) {
      for (const url of ['/v1/session', '/v1/tokens']) {
        const res = await t.app.inject({ method: 'POST', url, payload: { username: 'mallory', password: PASSWORD, transport: 'cookie' }, headers });
        expectProblem(res, 403, 'csrf_failed');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expectProblem(await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'victim', password: PASSWORD }, headers }), 403, 'csrf_failed');
    }
    const mallory = (await t.tessera.findUserByName('mallory'))!;
    expect(await t.tessera.listCredentials(mallory.id)).toEqual([]);
    expect(await t.tessera.findUserByName('victim')).toBeNull();
  });

  it('accepts the issuer’s own origin, a same-origin or same-site fetch, and a request without Origin (curl)', async () => {
    t = await testApp();
    await t.register('alice');
    for (const headers of [{ origin: 'http://localhost:8080' }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'none' }, {}]) {
      expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers })).statusCode).toBe(200);
    }
  });
});

describe('bodies an HTML form or a no-cors fetch can send (ASVS 5.0 V3.5.2; OWASP CSRF cheat sheet, "Disallowing simple requests")', () => {
  const body = JSON.stringify({ username: 'alice', password: PASSWORD });
  const formTypes = [
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'text/plain',
    'text/plain; charset=UTF-8',
    'text/plain; charset=application/json',
    'application/x-www-form-urlencoded; type=application/json',
    'application/jsonx',
    'application/json-seq',
  ];

  it.each(formTypes)('answers %s with 415 on login, registration, token login and an authenticated change', async (type) => {
    t = await testApp();
    await t.register('alice');
    const alice = await t.login('alice');
    for (const url of ['/v1/session', '/v1/tokens', '/v1/users']) {
      const res = await t.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': type } });
      expectProblem(res, 415, 'unsupported_media_type');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const change = await t.app.inject({
      method: 'PUT',
      url: '/v1/me/password',
      payload: JSON.stringify({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      headers: { 'content-type': type, ...sessionCookie(alice.cookie), 'x-csrf-token': alice.csrf },
    });
    expectProblem(change, 415, 'unsupported_media_type');
  });

  it('answers a body without any Content-Type with 415', async () => {
    t = await testApp();
    await t.register('alice');
    const res = await t.app.inject({ method: 'POST', url: '/v1/session', body, headers: { 'content-type': '' } });
    expectProblem(res, 415, 'unsupported_media_type');
  });
});

describe('CORS (ASVS 5.0 V3.4.2)', () => {
  const preflight = (origin: string, method = 'POST') =>
    t.app.inject({ method: 'OPTIONS', url: '/v1/session', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,x-csrf-token' } });

  it('answers only the allowlist, with credentials, echoing the origin and varying on it; never * or null', async () => {
    t = await testApp({ TESSERA_ALLOWED_ORIGINS: 'https://app.example,http://localhost:8080' });
    await t.register('alice');
    for (const origin of ['https://app.example', 'http://localhost:8080']) {
      const res = await preflight(origin);
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(String(res.headers.vary)).toContain('Origin');
    }
    const alice = await t.login('alice');
    for (const origin of ['https://evil.example', 'null', 'https://app.example.evil.example', 'https://APP.example', '*']) {
      const res = await preflight(origin);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      // A simple cross-origin read gets the data to the browser, but no CORS header lets the page read it.
      const read = await me({ ...sessionCookie(alice.cookie), origin });
      expect(read.headers['access-control-allow-origin']).toBeUndefined();
      expect(read.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('refuses * and null as allowed origins at start-up', () => {
    for (const value of ['*', 'null', 'https://app.example,*']) {
      expect(() => parseConfig({ TESSERA_ALLOWED_ORIGINS: value })).toThrow(ConfigError);
      expect(() => parseConfig({ TESSERA_ALLOWED_ORIGINS: value })).toThrow(/TESSERA_ALLOWED_ORIGINS/);
    }
  });
});

describe('cookies (ASVS 5.0 V3.3.1-V3.3.4)', () => {
  it('sets __Host- session and access cookies and a __Secure- Path=/v1/tokens SameSite=Strict refresh cookie, all HttpOnly and Secure', async () => {
    t = await testApp();
    await t.register('alice');
    const session = String((await t.login('alice')).response.headers['set-cookie']);
    expect(session).toMatch(/^__Host-tessera_session=[\w-]+\.[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const tokens = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const cookies = ([] as string[]).concat(tokens.headers['set-cookie'] as string[]);
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(/^__Host-tessera_access=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookies[1]).toMatch(/^__Secure-tessera_refresh=[\w.-]+; Max-Age=\d+; Path=\/v1\/tokens; HttpOnly; Secure; SameSite=Strict$/);
    for (const cookie of [session, ...cookies]) expect(cookie).not.toMatch(/Domain=/i);
  });

  it('never reads a credential from the query string (ASVS 5.0 V14.2.1)', async () => {
    t = await testApp();
    await t.register('alice');
    const { access } = await t.tokens('alice');
    const { cookie } = await t.login('alice');
    for (const query of [`access_token=${access}`, `__Host-tessera_session=${cookie}`, `session=${cookie}`, `token=${access}`]) {
      expectProblem(await t.app.inject({ method: 'GET', url: `/v1/me?${query}` }), 401, 'unauthenticated');
    }
  });
});
