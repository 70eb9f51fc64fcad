import BetterSqlite3 from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { SECOND } from '../../src/core/clock.js';
import * as sealing from '../../src/core/sealing.js';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';
import { b64, bearer, decodeSegment, expectProblem, fileStores, tempDatabase } from './attack.js';

/**
 * Signing keys: rotation, encryption at rest, the HS256 mode (API.md "Tokens", "Running"; DESIGN.md
 * "Signing"; RFC 7518 §3.2; RFC 8725 §3.5; ASVS 5.0 V9.1.2, V11.3.2, V11.3.3, V13.3.1).
 */

// Pass-through spy on the unsealing of stored secrets: it costs a scrypt on the event loop.
vi.mock('../../src/core/sealing.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/core/sealing.js')>();
  return { ...actual, open: vi.fn(actual.open) };
});

const KEY_SECRET = 'a key-encryption secret for tests';
const HS_SECRET = 'an HS256 secret of 32+ bytes, ok!';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const kidOf = (token: string): string => decodeSegment(token.split('.')[0]!).kid as string;

describe('key rotation', () => {
  it('publishes the new key 100 s before it signs, so that a verifier caching the JWKS never meets an unknown kid', async () => {
    const app = (t = await testApp());
    await app.register('alice');
    const before = await app.tokens('alice');
    const oldKid = kidOf(before.access);
    const next = await app.tessera.rotateKeys(null);
    // A verifier that fetched the JWKS right after the rotation caches it for its max-age.
    const jwks = await app.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.headers['cache-control']).toBe('public, max-age=60');
    const cached = (jwks.json() as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    expect(cached.sort()).toEqual([oldKid, next.kid].sort());
    expect(kidOf((await app.tokens('alice')).access)).toBe(oldKid);
    app.advance(100 * SECOND - 1);
    expect(kidOf((await app.tokens('alice')).access)).toBe(oldKid);
    app.advance(1);
    const after = await app.tokens('alice');
    expect(kidOf(after.access)).toBe(next.kid);
    expect(cached).toContain(kidOf(after.access));
    const states = new Map((await app.tessera.describeKeys()).map((key) => [key.kid, key.state]));
    expect(states).toEqual(new Map([[next.kid, 'active'], [oldKid, 'retiring']]));
  });

  it('keeps the old key in the JWKS, verifying its tokens, until its last token has expired, then drops it', async () => {
    const app = (t = await testApp());
    await app.register('alice');
    const before = await app.tokens('alice');
    const oldKid = kidOf(before.access);
    await app.tessera.rotateKeys(null);
    app.advance(100 * SECOND); // the new key signs from here, and the old one retires
    const after = await app.tokens('alice');
    expect(kidOf(after.access)).not.toBe(oldKid);
    const kids = () => app.tessera.jwks().keys.map((key) => key.kid);
    expect(kids()).toEqual(expect.arrayContaining([oldKid, kidOf(after.access)]));
    expect((await bearer(app, before.access)).statusCode).toBe(200);
    // Retention is the access-token lifetime (900 s) plus the leeway (5 s), plus one key re-read
    // interval (30 s), since another instance may sign with the old key until it re-reads.
    app.advance(899 * SECOND);
    await app.tessera.reloadKeys();
    expect(kids()).toContain(oldKid);
    app.advance(36 * SECOND - 1);
    await app.tessera.reloadKeys();
    expect(kids()).toContain(oldKid);
    expect((await app.tessera.describeKeys()).find((key) => key.kid === oldKid)?.state).toBe('retiring');
    app.advance(1);
    await app.tessera.reloadKeys();
    expect(kids()).toEqual([kidOf(after.access)]);
    expect((await app.tessera.describeKeys()).find((key) => key.kid === oldKid)?.state).toBe('retired');
    // The next rotation deletes the retired key from the store for good.
    await app.tessera.rotateKeys(null);
    expect((await app.stores.keys.listKeys()).map((key) => key.kid)).not.toContain(oldKid);
    const rotations = (await app.stores.audit.read(0, 100)).filter((entry) => entry.event === 'key_rotated');
    expect(rotations).toHaveLength(2);
  });

  it('publishes no private member and no symmetric key in the JWKS, for every algorithm', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256']) {
      const app = await testApp({ TESSERA_SIGNING_ALG: alg });
      const res = await app.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      for (const key of res.json().keys as Array<Record<string, unknown>>) {
        expect(key).toMatchObject({ alg, use: 'sig' });
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(key).not.toHaveProperty(member);
      }
      await app.close();
    }
  });
});

describe('TESSERA_KEY_SECRET: private keys encrypted at rest (AES-256-GCM)', () => {
  it('stores every private key and the server secret sealed: no JWK d in clear in the SQLite rows', async () => {
    const db = tempDatabase();
    try {
      const app = (t = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }, fileStores(db.path)));
      await app.register('alice');
      await app.tessera.rotateKeys(null);
      const { access } = await app.tokens('alice');
      expect((await bearer(app, access)).statusCode).toBe(200);
      const raw = new BetterSqlite3(db.path, { readonly: true });
      const keys = raw.prepare('select kid, public_jwk, private_jwk from signing_keys').all() as Array<{ kid: string; public_jwk: string; private_jwk: string }>;
      const secrets = raw.prepare('select name, value from server_secrets').all() as Array<{ name: string; value: string }>;
      raw.close();
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key.private_jwk.startsWith('enc:v1:')).toBe(true);
        expect(key.private_jwk).not.toContain('"d"');
        const d = (JSON.parse(sealing.open(key.private_jwk, KEY_SECRET)) as { d: string }).d;
        expect(d).toMatch(/^[\w-]{43}$/);
        expect(JSON.stringify(keys)).not.toContain(d);
        expect(JSON.parse(key.public_jwk)).not.toHaveProperty('d');
      }
      expect(secrets.map((s) => s.value.startsWith('enc:v1:'))).toEqual(secrets.map(() => true));
    } finally {
      db.remove();
    }
  });

  it('refuses to start with a wrong secret or none, and starts again with the right one', async () => {
    const db = tempDatabase();
    try {
      const first = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }, fileStores(db.path));
      await first.register('alice');
      const { access } = await first.tokens('alice');
      await first.close();
      await expect(testApp({ TESSERA_KEY_SECRET: 'not the secret the keys were sealed with' }, fileStores(db.path))).rejects.toThrow(
        'TESSERA_KEY_SECRET: it does not open the stored keys',
      );
      await expect(testApp({}, fileStores(db.path))).rejects.toThrow(/TESSERA_KEY_SECRET: the stored keys are encrypted/);
      const app = (t = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }, fileStores(db.path)));
      expect((await bearer(app, access)).statusCode).toBe(200);
    } finally {
      db.remove();
    }
  });

  it.skipIf(!existsSync('dist/cli/main.js'))('the server process exits without listening when the secret is wrong', async () => {
    const db = tempDatabase();
    try {
      const first = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }, fileStores(db.path));
      await first.close();
      const run = spawnSync(process.execPath, ['dist/cli/main.js', 'serve'], {
        env: { PATH: process.env.PATH ?? '', TESSERA_DATABASE_URL: db.url, TESSERA_PORT: '0', TESSERA_KEY_SECRET: 'the wrong secret, 16+ bytes' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(run.status).not.toBe(0);
      expect(run.status).not.toBeNull();
      expect(run.stderr).toContain('TESSERA_KEY_SECRET: it does not open the stored keys');
      expect(run.stdout).not.toContain('serves on');
    } finally {
      db.remove();
    }
  });

  it('an unknown kid does not re-open the sealed signing key (no scrypt on the event loop per forged token)', async () => {
    const app = (t = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }));
    await app.register('alice');
    const { access } = await app.tokens('alice');
    const [, payload, signature] = access.split('.');
    const opened = vi.mocked(sealing.open);
    opened.mockClear();
    for (let i = 0; i < 5; i++) {
      app.advance(1100); // the keyring re-reads the store on an unknown kid at most once a second
      expectProblem(await bearer(app, `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: `unknown-${i}` })}.${payload}.${signature}`), 401, 'invalid_token');
    }
    expect(opened).not.toHaveBeenCalled();
    expect((await bearer(app, access)).statusCode).toBe(200);
  });

  // Setting TESSERA_KEY_SECRET later seals what was stored in clear before (Keyring.open).
  it('seals the keys stored before TESSERA_KEY_SECRET was set', async () => {
    const db = tempDatabase();
    try {
      await (await testApp({}, fileStores(db.path))).close();
      await (t = await testApp({ TESSERA_KEY_SECRET: KEY_SECRET }, fileStores(db.path))).close();
      t = null;
      const raw = new BetterSqlite3(db.path, { readonly: true });
      const rows = raw.prepare('select private_jwk as value from signing_keys union all select value from server_secrets').all() as Array<{ value: string }>;
      raw.close();
      for (const row of rows) expect(row.value.startsWith('enc:v1:')).toBe(true);
    } finally {
      db.remove();
    }
  });
});

describe('HS256 mode', () => {
  it('refuses a secret shorter than 32 bytes, counted in bytes, at configuration time', () => {
    for (const secret of ['x'.repeat(31), 'é'.repeat(15), 'short']) {
      expect(() => parseConfig({ TESSERA_SIGNING_ALG: 'HS256', TESSERA_HS256_SECRET: secret })).toThrow(ConfigError);
      expect(() => parseConfig({ TESSERA_SIGNING_ALG: 'HS256', TESSERA_HS256_SECRET: secret })).toThrow(/TESSERA_HS256_SECRET/);
    }
    expect(() => parseConfig({ TESSERA_SIGNING_ALG: 'HS256' })).toThrow(/TESSERA_HS256_SECRET: required/);
    expect(parseConfig({ TESSERA_SIGNING_ALG: 'HS256', TESSERA_HS256_SECRET: 'x'.repeat(32) }).hs256Secret).toBe('x'.repeat(32));
    expect(parseConfig({ TESSERA_SIGNING_ALG: 'HS256', TESSERA_HS256_SECRET: '€'.repeat(11) }).hs256Secret).toBe('€'.repeat(11));
  });

  it('works end to end, never publishes the secret, and pins HS256 to its key', async () => {
    const app = (t = await testApp({ TESSERA_SIGNING_ALG: 'HS256', TESSERA_HS256_SECRET: HS_SECRET }));
    await app.register('alice');
    const { access, refresh } = await app.tokens('alice');
    const [h, p, s] = access.split('.') as [string, string, string];
    expect(decodeSegment(h)).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(createHmac('sha256', HS_SECRET).update(`${h}.${p}`).digest('base64url')).toBe(s);
    expect((await bearer(app, access)).statusCode).toBe(200);
    const rotated = await app.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: refresh } });
    expect(rotated.statusCode).toBe(200);
    expect((await bearer(app, rotated.json().access_token)).statusCode).toBe(200);
    const jwks = await app.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.json()).toEqual({ keys: [] });
    for (const form of [HS_SECRET, Buffer.from(HS_SECRET).toString('base64url'), Buffer.from(HS_SECRET).toString('hex')]) expect(jwks.body).not.toContain(form);
    await expect(app.tessera.rotateKeys(null)).rejects.toMatchObject({ code: 'validation_failed' });
    // Forgeries: another secret, alg none, and an asymmetric signature under the HS256 kid.
    const claims = { ...decodeSegment(p), role: 'admin' };
    const input = `${h}.${b64(claims)}`;
    expectProblem(await bearer(app, `${input}.${createHmac('sha256', 'another secret of 32 bytes or more').update(input).digest('base64url')}`), 401, 'invalid_token');
    expectProblem(await bearer(app, `${b64({ ...decodeSegment(h), alg: 'none' })}.${b64(claims)}.`), 401, 'invalid_token');
    const { privateKey } = generateKeyPairSync('ed25519');
    const edInput = `${b64({ ...decodeSegment(h), alg: 'EdDSA' })}.${b64(claims)}`;
    expectProblem(await bearer(app, `${edInput}.${sign(null, Buffer.from(edInput), privateKey).toString('base64url')}`), 401, 'invalid_token');
    // Revocation works the same way.
    await app.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: { token: access } });
    expectProblem(await bearer(app, rotated.json().access_token), 401, 'token_revoked');
    expect((await app.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } })).statusCode).toBe(200);
  });
});
