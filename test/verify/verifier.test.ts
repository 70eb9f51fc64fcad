import { generateKeyPairSync } from 'node:crypto';
import Fastify from 'fastify';
import { exportJWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { AuthError } from '../../src/core/errors.js';
import { JwksKeySource, importKeySet } from '../../src/verify/jwks.js';
import { type ExpressLikeRequest, type Verifier, authorize, createVerifier, isRefusal, tesseraExpress, tesseraFastify } from '../../src/verify/index.js';
import { freePort } from '../support/processes.js';
import { type TestApp, testApp } from '../support/app.js';

const FEED_SECRET = 'a-feed-secret-of-enough-length';

describe('importKeySet', () => {
  const ed = async () => ({ ...(await exportJWK(generateKeyPairSync('ed25519').publicKey)), alg: 'EdDSA', use: 'sig' });

  it('imports signing keys pinned to their alg, by kid', async () => {
    const keys = importKeySet({ keys: [{ ...(await ed()), kid: 'a' }, { ...(await ed()), kid: 'b' }] });
    expect([...keys.keys()]).toEqual(['a', 'b']);
    expect(keys.get('a')?.alg).toBe('EdDSA');
  });

  it('drops keys without alg or kid, symmetric keys, encryption keys, and every key of a duplicated kid', async () => {
    const { alg: _alg, ...noAlg } = await ed();
    const keys = importKeySet({
      keys: [
        { ...noAlg, kid: 'no-alg' },
        { ...(await ed()) },
        { kty: 'oct', k: 'A'.repeat(43), alg: 'HS256', kid: 'oct' },
        { ...(await ed()), use: 'enc', kid: 'enc' },
        { ...(await ed()), kid: 'twice' },
        { ...(await ed()), kid: 'twice' },
        { ...(await ed()), alg: 'PS256', kid: 'ps' },
        'not a key',
      ],
    });
    expect([...keys.keys()]).toEqual([]);
    expect(importKeySet(null).size).toBe(0);
    expect(importKeySet({ keys: 'x' }).size).toBe(0);
  });
});

describe('createVerifier against a running Tessera (JWKS and the HTTP feed)', () => {
  let t: TestApp;
  let verifier: Verifier | null = null;
  afterEach(async () => {
    await verifier?.close();
    verifier = null;
    await t.close();
  });

  async function setUp() {
    t = await testApp({ TESSERA_FEED_SECRET: FEED_SECRET });
    t.advance(Date.now() - t.clock.now()); // the verifier below runs on the real clock
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await t.register('alice');
    verifier = await createVerifier({
      issuer: 'http://localhost:8080',
      audience: 'tessera',
      jwksUrl: `${url}/.well-known/jwks.json`,
      revocation: { pollUrl: `${url}/v1/revocations`, secret: FEED_SECRET },
    });
    return url;
  }

  it('verifies a token, then refuses it once its family is revoked at the server', async () => {
    await setUp();
    const { access, refresh } = await t.tokens('alice');
    const claims = await verifier!.verify(access);
    expect(claims).toMatchObject({ name: 'alice', role: 'user', iss: 'http://localhost:8080' });
    await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: { token: refresh } });
    const deadline = Date.now() + 3000;
    let code = '';
    while (Date.now() < deadline && code !== 'token_revoked') {
      code = await verifier!.verify(access).then(() => 'ok', (e: AuthError) => e.code);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(code).toBe('token_revoked');
  });

  it('refuses a forged or malformed token with invalid_token', async () => {
    await setUp();
    const { access } = await t.tokens('alice');
    const [h, p] = access.split('.');
    for (const token of [`${h}.${p}.${'A'.repeat(86)}`, 'garbage', `${h}.${p}`]) {
      await expect(verifier!.verify(token)).rejects.toMatchObject({ code: 'invalid_token' });
    }
  });

  it('refuses the feed without its secret', async () => {
    const url = await setUp();
    const res = await fetch(`${url}/v1/revocations`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
    const ok = await fetch(`${url}/v1/revocations`, { headers: { authorization: `Bearer ${FEED_SECRET}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ events: [], cursor: null });
  });

  it('fails closed (unavailable) when the feed goes silent past the staleness bound', async () => {
    t = await testApp();
    await t.register('alice');
    const { access } = await t.tokens('alice');
    // A feed that answers until told to fail, and a verifier on a manual clock.
    let healthy = true;
    const feed = Fastify();
    feed.get('/feed', async (_request, reply) => (healthy ? { events: [], cursor: null } : reply.code(500).send()));
    const url = await feed.listen({ host: '127.0.0.1', port: 0 });
    const clock = new ManualClock(t.clock.now());
    verifier = await createVerifier({ issuer: 'http://localhost:8080', audience: 'tessera', keys: t.tessera.jwks(), revocation: { pollUrl: `${url}/feed`, secret: 'x' }, clock });
    // The library passes on how and when the user signed in (issue 13).
    expect(await verifier.verify(access)).toMatchObject({ name: 'alice', amr: ['pwd'], auth_time: t.clock.now() / 1000 });
    healthy = false;
    await new Promise((resolve) => setTimeout(resolve, 200)); // let a poll already under way land
    clock.advance(11_000);
    await expect(verifier.verify(access)).rejects.toMatchObject({ code: 'unavailable' });
    expect(verifier.isFresh()).toBe(false);
    await feed.close();
  });
});

describe('framework middleware', () => {
  const fake = (outcome: 'ok' | 'invalid_token' | 'unavailable'): Verifier => ({
    verify: async () => {
      if (outcome !== 'ok') throw new AuthError(outcome);
      return { iss: 'i', aud: 'a', sub: 'u1', name: 'alice', role: 'user', sid: 's', jti: 'j', iat: 1, exp: 2, amr: ['pwd'], auth_time: 1 };
    },
    isFresh: () => outcome !== 'unavailable',
    isReady: () => outcome !== 'unavailable',
    close: async () => undefined,
  });

  it('Fastify: puts the claims on the request, or answers 401, 403 or 503 problem JSON', async () => {
    for (const [outcome, authorization, role, status] of [
      ['ok', 'Bearer a.b.c', undefined, 200],
      ['ok', 'Bearer a.b.c', 'admin', 403],
      ['invalid_token', 'Bearer a.b.c', undefined, 401],
      ['ok', undefined, undefined, 401],
      ['unavailable', 'Bearer a.b.c', undefined, 503],
    ] as const) {
      const app = Fastify();
      app.get('/', { preHandler: tesseraFastify(fake(outcome), role ? { role } : {}) }, async (request) => ({ name: request.tessera?.name }));
      const res = await app.inject({ method: 'GET', url: '/', headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(status);
      if (status === 200) expect(res.json()).toEqual({ name: 'alice' });
      if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      if (status === 503) expect(res.headers['retry-after']).toBe('1');
      await app.close();
    }
  });

  it('Express: calls next with the claims on req.tessera, or sends the refusal', async () => {
    const run = (verifier: Verifier, authorization?: string) =>
      new Promise<{ status: number; body: string | null; request: ExpressLikeRequest }>((resolve) => {
        const request: ExpressLikeRequest = { headers: authorization ? { authorization } : {} };
        let status = 200;
        const response = {
          status: (code: number) => ((status = code), response),
          set: () => response,
          type: () => response,
          send: (body: string) => resolve({ status, body, request }),
        };
        tesseraExpress(verifier)(request, response, () => resolve({ status, body: null, request }));
      });
    const ok = await run(fake('ok'), 'Bearer a.b.c');
    expect(ok.body).toBeNull();
    expect(ok.request.tessera).toMatchObject({ name: 'alice' });
    const refused = await run(fake('invalid_token'), 'Bearer a.b.c');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body!).code).toBe('invalid_token');
    expect((await run(fake('unavailable'), 'Bearer a.b.c')).status).toBe(503);
  });
});

describe('JwksKeySource', () => {
  it('refetches on an unknown kid at most once per interval', async () => {
    let fetches = 0;
    const app = Fastify();
    app.get('/jwks', async () => {
      fetches++;
      return { keys: [] };
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const clock = new ManualClock();
    const source = new JwksKeySource(`${url}/jwks`, clock, 10_000);
    await source.load();
    expect(await source.refresh()).toBe(false);
    clock.advance(10_000);
    expect(await Promise.all([source.refresh(), source.refresh()])).toEqual([true, true]);
    expect(fetches).toBe(2);
    await app.close();
  });
});


describe('starting while Tessera is down', () => {
  let t: TestApp | null = null;
  let verifier: Verifier | null = null;
  afterEach(async () => {
    await verifier?.close();
    await t?.close();
  });

  it('starts, answers 503 with Retry-After, and becomes ready once Tessera answers', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const clock = new ManualClock(Date.now());
    verifier = await createVerifier({ issuer, audience: 'tessera', revocation: { pollUrl: `${issuer}/v1/revocations`, secret: FEED_SECRET }, clock });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(verifier.isReady()).toBe(false);
    const refusal = await authorize(verifier, 'Bearer a.b.c');
    expect(isRefusal(refusal) && refusal.status).toBe(503);
    expect(isRefusal(refusal) && refusal.headers['retry-after']).toBe('1');
    // Tessera comes up on that port: the verifier's background retries find the keys and the feed.
    t = await testApp({ TESSERA_ISSUER: issuer, TESSERA_FEED_SECRET: FEED_SECRET });
    t.advance(Date.now() - t.clock.now());
    await t.app.listen({ host: '127.0.0.1', port });
    await t.register('alice');
    const { access } = await t.tokens('alice');
    const ready = verifier;
    await vi.waitFor(() => expect(ready.isReady()).toBe(true), { timeout: 15_000, interval: 100 });
    // The verifier's clock stood still while Tessera started; bring it to the token's issue time.
    clock.advance(t.clock.now() - clock.now());
    expect((await ready.verify(access)).name).toBe('alice');
  }, 30_000);
});
