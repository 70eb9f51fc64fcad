import { createRequire } from 'node:module';
import type { FastifyError, FastifyReply, FastifyRequest, InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { handleError } from '../../src/http/problem.js';
import { expectProblem } from '../security/attack.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

/** Issue 11: what clients written against the RFCs expect, each item with the test that failed before its fix. */

let t: TestApp;
afterEach(() => t?.close());

async function admin(): Promise<string> {
  await t.tessera.register('root', PASSWORD, null, 'admin');
  return (await t.tokens('root')).access;
}

describe('every 401 carries a challenge (RFC 9110 §15.5.2, RFC 6750 §3)', () => {
  it.each([
    ['GET', '/v1/me'],
    ['GET', '/v1/me/sessions'],
    ['DELETE', '/v1/me/sessions/x'],
    ['GET', '/v1/admin/users'],
    ['GET', '/v1/session'],
  ])('%s %s without credentials: Bearer realm, no error code', async (method, url) => {
    t = await testApp();
    const res = await t.app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
  });

  it('the revocation feed, and the metrics, without their secret', async () => {
    t = await testApp({ TESSERA_FEED_SECRET: 'a feed secret of sixteen bytes+', TESSERA_METRICS_TOKEN: 'metrics' });
    for (const url of ['/v1/revocations', '/metrics']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera"');
    }
  });

  it('a bad bearer token: error="invalid_token" with a description; a bad password: the bare challenge', async () => {
    t = await testApp();
    const bad = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer not.a.token' } });
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token", error_description="[^"]+"$/);
    await t.register('alice');
    const login = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: 'wrong, wrong, wrong!' } });
    expectProblem(login, 401, 'invalid_credentials');
    expect(login.headers['www-authenticate']).toBe('Bearer realm="tessera"');
  });

  it('a bearer without the role gets 403 with error="insufficient_scope" (RFC 6750 §3.1); a cookie gets no challenge', async () => {
    t = await testApp();
    await t.register('alice');
    const { access } = await t.tokens('alice');
    const res = await t.app.inject({ method: 'GET', url: '/v1/admin/users', headers: { authorization: `Bearer ${access}` } });
    expectProblem(res, 403, 'forbidden');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tessera", error="insufficient_scope", error_description="this needs the role admin"');
    const { cookie } = await t.login('alice');
    const viaCookie = await t.app.inject({ method: 'GET', url: '/v1/admin/users', headers: sessionCookie(cookie) });
    expectProblem(viaCookie, 403, 'forbidden');
    expect(viaCookie.headers['www-authenticate']).toBeUndefined();
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => ({ origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });

  it('refuses a preflight from a foreign origin as such: 403 problem JSON, no CORS headers', async () => {
    t = await testApp();
    const res = await t.app.inject({ method: 'OPTIONS', url: '/v1/session', headers: preflight('https://evil.example') });
    expectProblem(res, 403, 'forbidden');
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('answers an allowed preflight, and lets browser code read Retry-After and WWW-Authenticate', async () => {
    t = await testApp({ TESSERA_ALLOWED_ORIGINS: 'https://app.example' });
    const ok = await t.app.inject({ method: 'OPTIONS', url: '/v1/session', headers: preflight('https://app.example') });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { origin: 'https://app.example' } });
    expect(String(res.headers['access-control-expose-headers']).toLowerCase().split(/, */).sort()).toEqual(['retry-after', 'www-authenticate']);
  });

  it('TESSERA_ALLOWED_ORIGINS adds to the issuer’s origin instead of replacing it: the sign-in page still registers', async () => {
    const config = parseConfig({ TESSERA_ISSUER: 'https://auth.example', TESSERA_ALLOWED_ORIGINS: 'https://app.example' });
    expect(config.allowedOrigins).toEqual(['https://auth.example', 'https://app.example']);
    t = await testApp({ TESSERA_ALLOWED_ORIGINS: 'https://app.example' });
    const res = await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'alice', password: PASSWORD }, headers: { origin: 'http://localhost:8080' } });
    expect(res.statusCode).toBe(201);
  });
});

describe("Fastify's own errors become problem JSON, never a 500, never echoing the URL", () => {
  it.each<[string, InjectOptions, number]>([
    ['QUERY on any path', { method: 'QUERY', url: '/healthz' }, 400],
    ['QUERY with a body', { method: 'QUERY', url: '/healthz', payload: '{}', headers: { 'content-type': 'application/json' } }, 405],
    ['an over-long path segment (FST_ERR_MAX_PARAM_LENGTH)', { method: 'DELETE', url: `/v1/me/sessions/${'a'.repeat(101)}` }, 400],
    ['a bad percent-encoding (FST_ERR_BAD_URL)', { method: 'DELETE', url: '/v1/me/sessions/%E0%A4%A' }, 400],
  ])('%s', async (_name, request, status) => {
    t = await testApp();
    const res = await t.app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).not.toContain('aaaa');
    expect(res.body).not.toContain('%E0');
  });

  it('maps every FST_ERR_* with a 4xx status to a problem: the whole list', async () => {
    const errors = createRequire(import.meta.url)('fastify/lib/errors.js') as Record<string, new (...args: string[]) => FastifyError>;
    const sent: Array<{ code: string; status: number }> = [];
    const reply = {
      code(status: number) {
        sent.push({ code: '', status });
        return this;
      },
      headers() {
        return this;
      },
      send(body: { code: string }) {
        sent[sent.length - 1]!.code = body.code;
        return this;
      },
    } as unknown as FastifyReply;
    const request = { headers: {}, log: { error: () => undefined, warn: () => undefined } } as unknown as FastifyRequest;
    let checked = 0;
    for (const [name, Make] of Object.entries(errors)) {
      if (!name.startsWith('FST_ERR')) continue;
      let error: FastifyError;
      try {
        error = new Make('a', 'b', 'c');
      } catch {
        continue;
      }
      if (error.statusCode === undefined || error.statusCode >= 500) continue;
      handleError(error, request, reply);
      expect(sent.at(-1)?.status, name).toBeLessThan(500);
      expect(sent.at(-1)?.code, name).not.toBe('internal_error');
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });
});

describe('GET /v1/admin/users and PATCH validate their input, and say which part is wrong', () => {
  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=%25%25%25', 'cursor'],
    ['cursor=zzzz', 'cursor'],
  ])('%s is a 400 naming the query string', async (query, field) => {
    t = await testApp();
    const res = await t.app.inject({ method: 'GET', url: `/v1/admin/users?${query}`, headers: { authorization: `Bearer ${await admin()}` } });
    expectProblem(res, 400, 'validation_failed');
    expect(res.json().detail).toBe('the query string does not match the schema');
    expect(res.json().errors[0].field).toBe(field);
  });

  it('pages with the cursor it hands out, and PATCH with no change is a 400, not a silent no-op', async () => {
    t = await testApp();
    const auth = { authorization: `Bearer ${await admin()}` };
    for (const name of ['alice', 'bob', 'carol']) await t.register(name);
    const first = await t.app.inject({ method: 'GET', url: '/v1/admin/users?limit=2', headers: auth });
    expect(first.json().users).toHaveLength(2);
    const second = await t.app.inject({ method: 'GET', url: `/v1/admin/users?limit=2&cursor=${first.json().nextCursor}`, headers: auth });
    expect(second.statusCode).toBe(200);
    expect(second.json().users).toHaveLength(2);
    const id = first.json().users[1].id as string;
    for (const payload of [{}, { nickname: 'x' }]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${id}`, payload, headers: auth });
      expectProblem(res, 400, 'validation_failed');
      expect(res.json().detail).toBe('the body does not match the schema');
    }
  });
});

describe('lifetimes', () => {
  it('accepts any whole number of seconds from 1, and warns below the recommended floor', () => {
    const config = parseConfig({ TESSERA_ACCESS_TTL: '1', TESSERA_SESSION_IDLE_TTL: '2', TESSERA_REFRESH_TTL: '3600' });
    expect([config.accessTtl, config.sessionIdleTtl, config.refreshTtl]).toEqual([1, 2, 3600]);
    expect(config.warnings).toEqual([
      'TESSERA_ACCESS_TTL=1 is below the recommended 60 s: fine for tests, not for production',
      'TESSERA_SESSION_IDLE_TTL=2 is below the recommended 300 s: fine for tests, not for production',
    ]);
    expect(() => parseConfig({ TESSERA_ACCESS_TTL: '0' })).toThrow(/TESSERA_ACCESS_TTL: expected a number from 1/);
    expect(parseConfig({}).warnings).toEqual([]);
  });

  it('an idle timeout of 2 s ends a session after 2 s', async () => {
    t = await testApp({ TESSERA_SESSION_IDLE_TTL: '2' });
    await t.register('alice');
    const { cookie } = await t.login('alice');
    t.advance(1999);
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) })).statusCode).toBe(200);
    t.advance(2000);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) }), 401, 'session_expired');
  });
});

describe('forms, as standard OAuth clients send them: RFC 7009 revocation and the RFC 6749 §6 refresh grant', () => {
  const form = (fields: Record<string, string>) => ({ payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('revokes a token posted as a form, and answers 200 for one it does not know (RFC 7009 §2.2)', async () => {
    t = await testApp();
    await t.register('alice');
    const pair = await t.tokens('alice');
    const res = await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', ...form({ token: pair.refresh, token_type_hint: 'refresh_token' }) });
    expect(res.statusCode).toBe(200);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${pair.access}` } }), 401, 'token_revoked');
    expect((await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', ...form({ token: 'not-a-token' }) })).statusCode).toBe(200);
  });

  it('refreshes with grant_type=refresh_token, answering as RFC 6749 §5.1, and §5.2 for every refusal', async () => {
    t = await testApp();
    await t.register('alice');
    const pair = await t.tokens('alice');
    const ok = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', ...form({ grant_type: 'refresh_token', refresh_token: pair.refresh }) });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers.pragma).toBe('no-cache');
    expect(ok.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 900 });
    t.advance(11_000); // past the reuse interval: the spent token is theft
    const reused = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', ...form({ grant_type: 'refresh_token', refresh_token: pair.refresh }) });
    expect(reused.statusCode).toBe(400);
    expect(reused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reused.json()).toMatchObject({ error: 'invalid_grant', code: 'refresh_token_reused', status: 400 });
    const unsupported = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', ...form({ grant_type: 'password', refresh_token: pair.refresh }) });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().error).toBe('unsupported_grant_type');
    const missing = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', ...form({ grant_type: 'refresh_token' }) });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request', code: 'validation_failed' });
    const twice = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: `grant_type=refresh_token&refresh_token=a&refresh_token=b`, headers: form({}).headers });
    expectProblem(twice, 400, 'validation_failed');
  });

  it('never lets a form use a cookie: no HTML form can act with the browser’s credential', async () => {
    t = await testApp();
    await t.register('alice');
    const login = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const refresh = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: 'grant_type=refresh_token', headers: { ...form({}).headers, cookie } });
    expect(refresh.statusCode).toBe(400);
    expect(refresh.json().error).toBe('invalid_request');
    const revoke = await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: '', headers: { ...form({}).headers, cookie } });
    expectProblem(revoke, 400, 'validation_failed');
    const access = login.cookies.find((c) => c.name === '__Host-tessera_access')!.value;
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${access}` } })).statusCode).toBe(200);
  });

  it('accepts forms nowhere else (415)', async () => {
    t = await testApp();
    for (const url of ['/v1/tokens', '/v1/session', '/v1/users']) {
      expectProblem(await t.app.inject({ method: 'POST', url, ...form({ username: 'alice', password: PASSWORD }) }), 415, 'unsupported_media_type');
    }
  });
});

describe('discovery (RFC 8414, and the OpenID Connect path) and RFC 9068 client_id', () => {
  it('names the issuer, the keys, the endpoints and the algorithm, at both paths', async () => {
    t = await testApp({ TESSERA_SIGNING_ALG: 'ES256' });
    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        issuer: 'http://localhost:8080',
        jwks_uri: 'http://localhost:8080/.well-known/jwks.json',
        token_endpoint: 'http://localhost:8080/v1/tokens/refresh',
        revocation_endpoint: 'http://localhost:8080/v1/tokens/revoke',
        grant_types_supported: ['refresh_token'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
    }
    const jwks = await t.app.inject({ method: 'GET', url: new URL((await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json().jwks_uri).pathname });
    expect(jwks.json().keys[0]).toMatchObject({ alg: 'ES256', use: 'sig' });
  });

  it('puts client_id in every access token (TESSERA_CLIENT_ID, default tessera)', async () => {
    t = await testApp({ TESSERA_CLIENT_ID: 'web-app' });
    await t.register('alice');
    const { access } = await t.tokens('alice');
    const claims = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims.client_id).toBe('web-app');
  });
});
