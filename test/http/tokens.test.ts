import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, MINUTE, SECOND } from '../../src/core/clock.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
  await t.register('alice');
});
afterEach(() => t.close());

const bearer = (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: token } });
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('POST /v1/tokens', () => {
  it('issues an EdDSA at+jwt access token with the claims of API.md and a refresh token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_expires_in: 30 * 24 * 3600 });
    const [header, payload] = body.access_token.split('.').slice(0, 2).map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    const alice = await t.tessera.findUserByName('alice');
    expect(payload).toEqual({
      iss: 'http://localhost:8080',
      aud: 'tessera',
      sub: alice!.id,
      client_id: 'tessera',
      name: 'alice',
      role: 'user',
      sid: body.refresh_token.split('.')[0],
      jti: expect.any(String),
      iat: t.clock.now() / 1000,
      exp: t.clock.now() / 1000 + 900,
      amr: ['pwd'],
      auth_time: t.clock.now() / 1000,
    });
    const me = await bearer(body.access_token);
    expect(me.json()).toEqual({
      id: alice!.id,
      username: 'alice',
      role: 'user',
      auth: { method: 'token', sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000).toISOString(), amr: ['pwd'], authTime: new Date(t.clock.now()).toISOString() },
    });
  });

  it('sets cookies for the cookie transport and returns the CSRF token instead of the tokens', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const body = res.json();
    expect(body.access_token).toBeUndefined();
    expect(body.refresh_token).toBeUndefined();
    expect(body).toMatchObject({ csrfToken: expect.any(String), expires_in: 900, refresh_expires_in: 2592000 });
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] as string[]);
    expect(cookies[0]).toMatch(/^__Host-tessera_access=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookies[1]).toMatch(/^__Secure-tessera_refresh=[\w-]+\.[\w-]+; Max-Age=2592000; Path=\/v1\/tokens; HttpOnly; Secure; SameSite=Strict$/);
    const access = res.cookies.find((c) => c.name === '__Host-tessera_access')!.value;
    const refreshCookie = res.cookies.find((c) => c.name === '__Secure-tessera_refresh')!.value;
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: `__Host-tessera_access=${access}` } });
    expect(me.statusCode).toBe(200);
    // Refresh by cookie needs the CSRF token.
    const cookie = { cookie: `__Secure-tessera_refresh=${refreshCookie}` };
    const refused = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', headers: cookie });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('csrf_failed');
    const ok = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', headers: { ...cookie, 'x-csrf-token': body.csrfToken } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().csrfToken).toBe(body.csrfToken);
    expect(ok.cookies.find((c) => c.name === '__Secure-tessera_refresh')!.value).not.toBe(refreshCookie);
  });
});

describe('POST /v1/tokens/refresh', () => {
  it('rotates on every use and never extends the absolute lifetime', async () => {
    const { refresh: first } = await t.tokens('alice');
    t.advance(10 * DAY);
    const second = (await refresh(first)).json();
    expect(second.refresh_token).not.toBe(first);
    expect(second.refresh_token.split('.')[0]).toBe(first.split('.')[0]);
    expect(second.refresh_expires_in).toBe(30 * 24 * 3600);
    t.advance(25 * DAY);
    const third = (await refresh(second.refresh_token)).json();
    t.advance(25 * DAY);
    const fourth = (await refresh(third.refresh_token)).json();
    expect(fourth.refresh_expires_in).toBe(30 * 24 * 3600);
    t.advance(25 * DAY); // day 85
    const fifth = (await refresh(fourth.refresh_token)).json();
    expect(fifth.refresh_expires_in).toBe(5 * 24 * 3600);
    t.advance(5 * DAY);
    const late = await refresh(fifth.refresh_token);
    expect(late.statusCode).toBe(401);
    expect(late.json().code).toBe('token_expired');
  });

  it('expires after 30 idle days', async () => {
    const { refresh: token } = await t.tokens('alice');
    t.advance(30 * DAY);
    expect((await refresh(token)).json().code).toBe('token_expired');
  });

  it('lets parallel tabs converge: the predecessor within 10 s returns the same current token and revokes nothing', async () => {
    const { refresh: first } = await t.tokens('alice');
    const answers = await Promise.all([refresh(first), refresh(first), refresh(first)]);
    const tokens = answers.map((a) => a.json().refresh_token);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(tokens).size).toBe(1);
    t.advance(9 * SECOND);
    const again = await refresh(first);
    expect(again.json().refresh_token).toBe(tokens[0]);
    expect((await bearer(again.json().access_token)).statusCode).toBe(200);
    expect((await refresh(tokens[0])).statusCode).toBe(200);
  });

  it('treats the predecessor after the interval as theft: 401 and the whole family revoked, access tokens included', async () => {
    const { refresh: first, access } = await t.tokens('alice');
    const second = (await refresh(first)).json();
    t.advance(11 * SECOND);
    const reuse = await refresh(first);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('refresh_token_reused');
    expect((await bearer(access)).json().code).toBe('token_revoked');
    expect((await bearer(second.access_token)).json().code).toBe('token_revoked');
    expect((await refresh(second.refresh_token)).json().code).toBe('token_revoked');
  });

  it('treats an older generation as theft at once', async () => {
    const { refresh: first } = await t.tokens('alice');
    const second = (await refresh(first)).json().refresh_token;
    const third = (await refresh(second)).json().refresh_token;
    expect((await refresh(first)).json().code).toBe('refresh_token_reused');
    expect((await refresh(third)).json().code).toBe('token_revoked');
  });

  it.each([['garbage'], ['a.b'], ['AAAAAAAAAAAAAAAAAAAAAA.' + 'A'.repeat(48)]])('answers the malformed or forged refresh token %j with invalid_token', async (token) => {
    const res = await refresh(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
  });

  it('refuses a forged secret for a real family without revoking it', async () => {
    const { refresh: token } = await t.tokens('alice');
    const forged = `${token.split('.')[0]}.${'A'.repeat(48)}`;
    expect((await refresh(forged)).json().code).toBe('invalid_token');
    expect((await refresh(token)).statusCode).toBe(200);
  });
});

describe('POST /v1/tokens/revoke', () => {
  it('always answers 200, and a known refresh or access token revokes its family at once', async () => {
    const a = await t.tokens('alice');
    const revoke = (token: string) => t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: { token } });
    expect((await revoke('nonsense')).statusCode).toBe(200);
    expect((await bearer(a.access)).statusCode).toBe(200);
    expect((await revoke(a.refresh)).statusCode).toBe(200);
    expect((await bearer(a.access)).json().code).toBe('token_revoked');
    expect((await refresh(a.refresh)).json().code).toBe('token_revoked');
    const b = await t.tokens('alice');
    expect((await revoke(b.access)).statusCode).toBe(200);
    expect((await refresh(b.refresh)).json().code).toBe('token_revoked');
    expect((await bearer(b.access)).json().code).toBe('token_revoked');
  });
});

describe('access token verification', () => {
  /** A real token's claims under another header, signed by `sign` (an attacker's signature). */
  async function forge(header: Record<string, unknown>, sign: (input: string) => string = () => 'A'.repeat(86)) {
    const { access } = await t.tokens('alice');
    const input = `${b64(header)}.${access.split('.')[1]}`;
    return { input, token: `${input}.${sign(input)}` };
  }

  const expectInvalid = async (token: string) => {
    const res = await bearer(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token", error_description="[^"]+"$/);
  };

  it('refuses alg none in every spelling', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const { input } = await forge({ alg, typ: 'at+jwt' });
      await expectInvalid(`${input}.`);
      await expectInvalid(`${input}.AAAA`);
    }
  });

  it('refuses a tampered payload', async () => {
    const { access } = await t.tokens('alice');
    const [h, p, s] = access.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    await expectInvalid(`${h}.${b64({ ...claims, role: 'admin' })}.${s}`);
  });

  it('refuses HS256 signed with the public key, in every form', async () => {
    const jwk = t.tessera.jwks().keys[0]!;
    const publicKey = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const forms = [
      publicKey.export({ type: 'spki', format: 'pem' }),
      publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(jwk),
      Buffer.from(jwk.x!, 'base64url'),
    ];
    for (const secret of forms) {
      const { token } = await forge({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, (input) => createHmac('sha256', secret).update(input).digest('base64url'));
      await expectInvalid(token);
    }
  });

  it('refuses a token that embeds its own key (jwk, jku, x5u, x5c)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(publicKey);
    const claims = { iss: 'http://localhost:8080', aud: 'tessera', sub: 'x', name: 'x', role: 'admin', sid: 'x', jti: 'x' };
    for (const extra of [{ jwk }, { jku: 'http://127.0.0.1:1/jwks' }, { x5u: 'http://127.0.0.1:1/x5u' }, { x5c: ['AAAA'] }]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: t.tessera.jwks().keys[0]!.kid, ...extra })
        .setIssuedAt(t.clock.now() / 1000)
        .setExpirationTime(t.clock.now() / 1000 + 60)
        .sign(privateKey);
      await expectInvalid(token);
    }
  });

  it('refuses a wrong typ, issuer or audience, and an unknown kid', async () => {
    const { access } = await t.tokens('alice');
    const kid = JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString()).kid;
    const { privateKey } = generateKeyPairSync('ed25519');
    const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT({ sub: 'x', name: 'x', role: 'user', sid: 'x', jti: 'x', iss: 'http://localhost:8080', aud: 'tessera', ...claims })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header })
        .setIssuedAt(t.clock.now() / 1000)
        .setExpirationTime(t.clock.now() / 1000 + 60)
        .sign(privateKey);
    await expectInvalid(await sign({ kid: 'unknown' }, {}));
    await expectInvalid(await sign({}, {})); // right kid, wrong key
  });

  it('answers token_expired after exp plus the leeway', async () => {
    const { access } = await t.tokens('alice');
    t.advance(15 * MINUTE);
    expect((await bearer(access)).statusCode).toBe(200); // within the leeway
    t.advance(6 * SECOND);
    const res = await bearer(access);
    expect(res.json().code).toBe('token_expired');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token", error_description="[^"]+"$/);
  });

  it('refuses a malformed Authorization header with 401, never 500', async () => {
    for (const authorization of ['Bearer', 'Bearer a.b', 'Basic YWxpY2U6cHc=', 'Bearer ' + 'a'.repeat(9000), 'Bearer a.b.c.d.e']) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });
      expect(res.statusCode).toBe(401);
    }
  });

  it('lets the bearer token decide when a cookie is present too', async () => {
    const { cookie } = await t.login('alice');
    const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { ...sessionCookie(cookie), authorization: 'Bearer garbage.garbage.garbage' } });
    expect(res.statusCode).toBe(401);
    const { access } = await t.tokens('alice');
    const ok = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { ...sessionCookie(cookie), authorization: `Bearer ${access}` } });
    expect(ok.json().auth.method).toBe('token');
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public key with kid, alg and use, and no private member', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    const { keys } = res.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' });
  });
});

describe('POST /v1/tokens/revoke with the cookie transport', () => {
  it('revokes the family held in cookies after the CSRF check, and clears them; a malformed cookie is just cleared', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD, transport: 'cookie' } });
    const csrf = login.json().csrfToken as string;
    const access = login.cookies.find((c) => c.name === '__Host-tessera_access')!.value;
    const refreshCookie = login.cookies.find((c) => c.name === '__Secure-tessera_refresh')!.value;
    const cookie = { cookie: `__Secure-tessera_refresh=${refreshCookie}` };
    const refused = await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', headers: cookie });
    expect(refused.statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', headers: { ...cookie, 'x-csrf-token': csrf } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toContain('__Secure-tessera_refresh=; Max-Age=0');
    expect((await bearer(access)).json().code).toBe('token_revoked');
    const malformed = await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', headers: { cookie: '__Secure-tessera_refresh=garbage' } });
    expect(malformed.statusCode).toBe(200);
    expect(String(malformed.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await t.app.inject({ method: 'POST', url: '/v1/tokens/revoke' })).statusCode).toBe(400);
  });
});
