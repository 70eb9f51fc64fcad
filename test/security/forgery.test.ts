import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { CompactEncrypt, exportJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../src/core/clock.js';
import { type TestApp, testApp } from '../support/app.js';
import { b64, bearer, cookieHeader, decodeSegment, expectProblem } from './attack.js';

/**
 * Token forgery (RFC 8725 §2.1, §3.1, §3.10; ASVS 5.0 V9.1.1-V9.1.3, V9.2.1-V9.2.3). Every forged
 * token goes to GET /v1/me as a bearer token and must get 401 invalid_token with
 * `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
 */

let t: TestApp;
afterEach(() => t.close());

async function start(env: Record<string, string> = {}): Promise<void> {
  t = await testApp(env);
  await t.register('alice');
}

const expectInvalid = async (token: string): Promise<void> => {
  const res = await bearer(t, token);
  expectProblem(res, 401, 'invalid_token');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tessera", error="invalid_token", error_description="[^"]+"$/);
};

/** The header, claims and signature of a real access token of alice. */
async function realToken(): Promise<{ token: string; header: Record<string, unknown>; claims: Record<string, unknown>; parts: string[] }> {
  const { access } = await t.tokens('alice');
  const parts = access.split('.');
  return { token: access, header: decodeSegment(parts[0]!), claims: decodeSegment(parts[1]!), parts };
}

/** alice's real claims, promoted to admin, under any header, with any signature. */
async function forged(header: Record<string, unknown>, signWith: (input: string) => string): Promise<string> {
  const { claims } = await realToken();
  const input = `${b64(header)}.${b64({ ...claims, role: 'admin' })}`;
  return `${input}.${signWith(input)}`;
}

describe('alg none', () => {
  it.each(['none', 'None', 'NONE', 'nOnE', 'none ', ''])('refuses alg %j, with an empty, a zero and a copied signature', async (alg) => {
    await start();
    const { parts, claims } = await realToken();
    const input = `${b64({ alg, typ: 'at+jwt', kid: decodeSegment(parts[0]!).kid })}.${b64({ ...claims, role: 'admin' })}`;
    await expectInvalid(`${input}.`);
    await expectInvalid(`${input}.AA`);
    await expectInvalid(`${input}.${parts[2]}`);
  });
});

describe('algorithm confusion: HS256 with the public key as the HMAC secret', () => {
  it.each([['EdDSA'], ['ES256'], ['RS256']])('refuses every form of the %s public key as an HS256 secret', async (alg) => {
    await start({ TESSERA_SIGNING_ALG: alg });
    const jwk = t.tessera.jwks().keys[0]!;
    const publicKey = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const raw = jwk.x ?? jwk.n ?? '';
    const forms: Array<string | Buffer> = [
      publicKey.export({ type: 'spki', format: 'pem' }),
      publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(jwk),
      JSON.stringify(t.tessera.jwks()),
      raw,
      Buffer.from(raw, 'base64url'),
    ];
    if (alg === 'RS256') forms.push(publicKey.export({ type: 'pkcs1', format: 'pem' }), publicKey.export({ type: 'pkcs1', format: 'der' }));
    for (const secret of forms) {
      await expectInvalid(await forged({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, (input) => createHmac('sha256', secret).update(input).digest('base64url')));
    }
  });
});

describe('keys named by the token itself (RFC 8725 §3.10, ASVS 5.0 V9.1.3)', () => {
  it('refuses embedded jwk, jku, x5u, x5c, x5t and crit, and never fetches the URL a token names', async () => {
    await start();
    let fetched = 0;
    const trap = createServer((_req, res) => {
      fetched++;
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/jwks.json`;
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const jwk = await exportJWK(publicKey);
      const kid = t.tessera.jwks().keys[0]!.kid;
      const attackerSigns = (input: string) => sign(null, Buffer.from(input), privateKey).toString('base64url');
      for (const extra of [{ jwk }, { jku: url }, { x5u: url }, { x5c: ['MIIB'] }, { 'x5t#S256': 'AAAA' }, { crit: ['exp'] }, { crit: ['b64'], b64: false }]) {
        await expectInvalid(await forged({ alg: 'EdDSA', typ: 'at+jwt', kid, ...extra }, attackerSigns));
        // Without a kid the embedded key is all there is to go on.
        await expectInvalid(await forged({ alg: 'EdDSA', typ: 'at+jwt', ...extra }, attackerSigns));
      }
      expect(fetched).toBe(0);
    } finally {
      trap.close();
    }
  });
});

describe('kid injection (RFC 8725 §2.9, §3.10)', () => {
  const kids: unknown[] = [
    '../../../../../../etc/passwd',
    '/dev/null',
    "' OR '1'='1",
    "x' UNION SELECT private_jwk FROM signing_keys --",
    '%00',
    '\u0000',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'k'.repeat(6000),
    123,
    null,
    true,
    {},
    ['kid'],
  ];
  it.each(kids.map((kid) => [typeof kid === 'string' && kid.length > 40 ? `${kid.slice(0, 12)}… (${kid.length} chars)` : JSON.stringify(kid), kid]))(
    'refuses kid %s and leaves the key store as it was',
    async (_label, kid) => {
      await start();
      const before = t.tessera.jwks();
      const { privateKey } = generateKeyPairSync('ed25519');
      const header = { alg: 'EdDSA', typ: 'at+jwt', kid };
      await expectInvalid(await forged(header, (input) => sign(null, Buffer.from(input), privateKey).toString('base64url')));
      await expectInvalid(await forged(header, (input) => createHmac('sha256', '').update(input).digest('base64url')));
      expect(t.tessera.jwks()).toEqual(before);
      expect(await t.stores.keys.listKeys()).toHaveLength(1);
    },
  );
});

/** RFC 8032 §5.1: L, the order of the Ed25519 base point. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (bytes: Buffer): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
const toLe = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(64, '0'), 'hex').reverse();

describe('EdDSA signature malleability (RFC 8032 §5.1.7, §8.4)', () => {
  it('refuses a real token whose S was replaced by S + L, which a lax verifier accepts', async () => {
    await start();
    const { token, parts } = await realToken();
    const signature = Buffer.from(parts[2]!, 'base64url');
    const s = le(signature.subarray(32));
    expect(s < L).toBe(true);
    const malleable = Buffer.concat([signature.subarray(0, 32), toLe(s + L)]);
    expect(malleable.length).toBe(64);
    await expectInvalid(`${parts[0]}.${parts[1]}.${malleable.toString('base64url')}`);
    // The genuine token still works: the refusal is about the encoding of S alone.
    expect((await bearer(t, token)).statusCode).toBe(200);
  });
});

describe('other serialisations and sizes', () => {
  it('refuses the JWS JSON serialisations of a real token (RFC 7515 §7.2), by header and by cookie', async () => {
    await start();
    const { parts } = await realToken();
    const flattened = JSON.stringify({ protected: parts[0], payload: parts[1], signature: parts[2] });
    const general = JSON.stringify({ payload: parts[1], signatures: [{ protected: parts[0], signature: parts[2] }] });
    for (const json of [flattened, general]) {
      await expectInvalid(json);
      await expectInvalid(Buffer.from(json).toString('base64url'));
      const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: cookieHeader({ '__Host-tessera_access': encodeURIComponent(json) }) });
      expectProblem(res, 401, 'invalid_token');
    }
  });

  it('refuses JWE (five-part) tokens, real and structural', async () => {
    await start();
    const { claims, header } = await realToken();
    const jwe = await new CompactEncrypt(Buffer.from(JSON.stringify({ ...claims, role: 'admin' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: header.kid as string, typ: 'at+jwt' })
      .encrypt(randomBytes(32));
    expect(jwe.split('.')).toHaveLength(5);
    await expectInvalid(jwe);
    await expectInvalid(`${b64({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: header.kid })}.${b64('k')}.${b64('iv')}.${b64({ ...claims, role: 'admin' })}.${b64('tag')}`);
  });

  it('refuses oversized tokens in the Authorization header and in every cookie, and answers 431 past Node’s header limit', async () => {
    await start();
    const { parts } = await realToken();
    const padded = `${b64({ ...decodeSegment(parts[0]!), pad: 'x'.repeat(9000) })}.${parts[1]}.${parts[2]}`;
    await expectInvalid(padded);
    const inCookie = (name: string, value: string, url = '/v1/me', method: 'GET' | 'POST' = 'GET') =>
      t.app.inject({ method, url, headers: cookieHeader({ [name]: value }) });
    expectProblem(await inCookie('__Host-tessera_access', padded), 401, 'invalid_token');
    expectProblem(await inCookie('__Host-tessera_session', 'A'.repeat(9000)), 401, 'unauthenticated');
    expectProblem(await inCookie('__Secure-tessera_refresh', `${'A'.repeat(22)}.${'A'.repeat(9000)}`, '/v1/tokens/refresh', 'POST'), 401, 'invalid_token');
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${address}/v1/me`, { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body).code).toBe('header_too_large');
  });
});

describe('a token signed with the server’s own key is still checked (RFC 8725 §3.8, §3.9, §3.11; RFC 9068 §4)', () => {
  /** Signs claims and header with the private key stored for the current kid: a perfect signature. */
  async function signedByServer(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
    const [stored] = await t.stores.keys.listKeys();
    const key = createPrivateKey({ key: JSON.parse(stored!.privateJwk) as import('node:crypto').JsonWebKey, format: 'jwk' });
    const input = `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: stored!.kid, ...header })}.${b64(claims)}`;
    return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
  }

  it('accepts the control, and refuses a wrong typ, iss or aud, an unknown role, and unknown crit', async () => {
    await start();
    const { claims } = await realToken();
    expect((await bearer(t, await signedByServer({}, claims))).statusCode).toBe(200);
    for (const typ of ['JWT', 'jwt', 'application/at+jwt', 'id_token+jwt', undefined]) await expectInvalid(await signedByServer({ typ }, claims));
    for (const iss of ['http://localhost:8081', 'http://localhost:8080/', 'https://localhost:8080']) await expectInvalid(await signedByServer({}, { ...claims, iss }));
    for (const aud of ['other', ['other'], 'tessera2']) await expectInvalid(await signedByServer({}, { ...claims, aud }));
    await expectInvalid(await signedByServer({}, { ...claims, role: 'root' }));
    await expectInvalid(await signedByServer({ crit: ['exp'] }, claims));
    for (const missing of ['sub', 'sid', 'jti', 'exp', 'iat']) {
      const { [missing]: _gone, ...rest } = claims;
      await expectInvalid(await signedByServer({}, rest));
    }
  });

  it('bounds exp, nbf and iat by the leeway (5 s, at most 30 s)', async () => {
    await start();
    const { claims } = await realToken();
    const now = Math.floor(t.clock.now() / 1000);
    const at = async (changes: Record<string, unknown>) => bearer(t, await signedByServer({}, { ...claims, ...changes }));
    expect((await at({ exp: now - 4 })).statusCode).toBe(200);
    expectProblem(await at({ exp: now - 5 }), 401, 'token_expired');
    expectProblem(await at({ exp: now - 31 }), 401, 'token_expired');
    expect((await at({ nbf: now + 4 })).statusCode).toBe(200);
    expectProblem(await at({ nbf: now + 31 }), 401, 'invalid_token');
    expectProblem(await at({ iat: now + 31 }), 401, 'invalid_token');
    expectProblem(await at({ exp: String(now + 60) }), 401, 'invalid_token');
    t.advance(15 * MINUTE + 5 * SECOND);
    expectProblem(await at({}), 401, 'token_expired');
  });
});
