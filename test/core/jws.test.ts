import { type KeyObject, createHmac, createSecretKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ClaimExpectations, checkAccessClaims } from '../../src/core/accessToken.js';
import {
  type CompactJws,
  MAX_TOKEN_LENGTH,
  type VerifyKey,
  importVerifyKey,
  parseCompactJws,
  verifyEd25519,
  verifySignature,
} from '../../src/core/jws.js';
import type { SigningAlg } from '../../src/core/model.js';

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const encodeJson = (value: unknown): string => b64(JSON.stringify(value));

function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

const pairs = {
  EdDSA: generateKeyPairSync('ed25519'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
const hsSecret = randomBytes(32);

const publicJwk = (key: KeyObject): Record<string, unknown> => ({ ...key.export({ format: 'jwk' }) });

const keys: Record<SigningAlg, VerifyKey> = {
  EdDSA: must(importVerifyKey(publicJwk(pairs.EdDSA.publicKey), 'EdDSA', 'ed'), 'an EdDSA key'),
  ES256: must(importVerifyKey(publicJwk(pairs.ES256.publicKey), 'ES256', 'ec'), 'an ES256 key'),
  RS256: must(importVerifyKey(publicJwk(pairs.RS256.publicKey), 'RS256', 'rsa'), 'an RS256 key'),
  HS256: must(importVerifyKey({ kty: 'oct', k: b64(hsSecret) }, 'HS256', 'hs'), 'an HS256 key'),
};
const ALGS = Object.keys(keys) as SigningAlg[];

const hs256 = (secret: Buffer, input: string): Buffer => createHmac('sha256', secret).update(input).digest();

function signInput(alg: SigningAlg, input: string): Buffer {
  const data = Buffer.from(input, 'ascii');
  switch (alg) {
    case 'EdDSA':
      return sign(null, data, pairs.EdDSA.privateKey);
    case 'ES256':
      return sign('sha256', data, { key: pairs.ES256.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, pairs.RS256.privateKey);
    case 'HS256':
      return hs256(hsSecret, input);
  }
}

/** A compact JWS over `header` and `payload`, signed for `alg` (by default the header's). */
function compact(header: Record<string, unknown>, payload: string | Buffer, alg = header.alg as SigningAlg): string {
  const input = `${encodeJson(header)}.${b64(payload)}`;
  return `${input}.${b64(signInput(alg, input))}`;
}

const parsed = (token: string): CompactJws => must(parseCompactJws(token), `a parse of ${token.slice(0, 40)}...`);
const segments = (token: string): [string, string, string] => {
  const [h = '', p = '', s = ''] = token.split('.');
  return [h, p, s];
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('parseCompactJws', () => {
  const header = { alg: 'HS256', kid: 'hs', typ: 'at+jwt' };
  const good = compact(header, 'abcd');

  it('parses a well-formed token into header, payload, signing input and signature', async () => {
    const jws = parsed(good);
    expect(jws.header).toEqual(header);
    expect(jws.payload.toString()).toBe('abcd');
    expect(jws.signingInput).toBe(good.slice(0, good.lastIndexOf('.')));
    expect(jws.signature).toHaveLength(32);
    expect(await verifySignature(jws, keys.HS256)).toBe(true);
  });

  it('accepts an empty payload (RFC 7515 allows it) but never an empty signature', () => {
    const [h, , s] = segments(good);
    expect(parseCompactJws(`${h}..${s}`)).not.toBeNull();
    expect(parseCompactJws(`${h}.${b64('abcd')}.`)).toBeNull();
    expect(parseCompactJws(`${h}..`)).toBeNull();
  });

  it('refuses base64 padding in any segment', () => {
    const [h, p, s] = segments(good);
    for (const token of [`${h}=.${p}.${s}`, `${h}.${p}==.${s}`, `${h}.${p}.${s}=`, `${h}.${p}.${s}==`]) {
      expect(parseCompactJws(token), token).toBeNull();
    }
  });

  it('refuses the standard alphabet (+ and /) where base64url has - and _', () => {
    const payload = Buffer.from([0xfb, 0xff, 0xbf]);
    const signature = Buffer.alloc(33, Buffer.from([0xfb, 0xff, 0xbf]));
    const [h] = segments(good);
    const urlSafe = `${h}.${b64(payload)}.${b64(signature)}`;
    expect(urlSafe).toMatch(/-_-_.*-_-_/);
    expect(parseCompactJws(urlSafe)).not.toBeNull();
    expect(parseCompactJws(`${h}.${payload.toString('base64')}.${b64(signature)}`)).toBeNull();
    expect(parseCompactJws(`${h}.${b64(payload)}.${signature.toString('base64')}`)).toBeNull();
  });

  it('refuses whitespace anywhere', () => {
    const [h, p, s] = segments(good);
    const variants = [` ${good}`, `${good} `, `${good}\n`, `${h} .${p}.${s}`, `${h}.${p.slice(0, 2)}\t${p.slice(2)}.${s}`, `${h}.${p}.${s.slice(0, 10)}\r\n${s.slice(10)}`];
    for (const token of variants) expect(parseCompactJws(token), JSON.stringify(token)).toBeNull();
  });

  it('refuses non-zero unused bits in the last character of each segment', () => {
    const parts = segments(good);
    parts.forEach((segment, index) => {
      // Lengths 2 and 3 mod 4 leave 4 or 2 unused bits; the lowest bit of the last character is always one.
      expect(segment.length % 4, `segment ${index} has unused bits`).not.toBe(0);
      const last = ALPHABET.indexOf(segment.at(-1) ?? '');
      expect(last & 1, `segment ${index} is canonical`).toBe(0);
      const mutated = `${segment.slice(0, -1)}${ALPHABET[last | 1]}`;
      // A lenient decoder reads the same bytes, so only the strict check can tell them apart.
      expect(Buffer.from(mutated, 'base64url')).toEqual(Buffer.from(segment, 'base64url'));
      const token = parts.map((part, i) => (i === index ? mutated : part)).join('.');
      expect(parseCompactJws(token), `segment ${index}`).toBeNull();
    });
  });

  it('refuses a length of 1 mod 4 and characters outside the alphabet', () => {
    const [h, p, s] = segments(good);
    const oneMod4 = `${p}${'A'.repeat((5 - (p.length % 4)) % 4)}`;
    expect(oneMod4.length % 4).toBe(1);
    for (const token of [`${h}.${oneMod4}.${s}`, `${h}.${p}.${s}?`, `${h}.${p}!.${s}`, `${h}.${p}.${s.slice(0, -1)}%41`]) {
      expect(parseCompactJws(token), token).toBeNull();
    }
  });

  it('refuses 1, 2, 4 and 5 segments, and empty leading segments', () => {
    const [h, p, s] = segments(good);
    for (const token of ['', h, `${h}.${p}`, `${good}.${s}`, `${good}.`, `.${good}`, `.${p}.${s}`, '..', '...']) {
      expect(parseCompactJws(token), token).toBeNull();
    }
  });

  it('refuses a 5-part JWE (RFC 7516 §7.1)', () => {
    const jweHeaders = [{ alg: 'dir', enc: 'A256GCM' }, { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'rsa' }];
    for (const jweHeader of jweHeaders) {
      const encryptedKey = jweHeader.alg === 'dir' ? '' : b64(randomBytes(256));
      const jwe = [encodeJson(jweHeader), encryptedKey, b64(randomBytes(12)), b64(randomBytes(40)), b64(randomBytes(16))].join('.');
      expect(parseCompactJws(jwe), jweHeader.alg).toBeNull();
    }
  });

  it('refuses a header that is not a JSON object with a string alg', () => {
    const payload = b64('abcd');
    const headers: unknown[] = ['HS256', 42, null, true, [], ['alg', 'HS256'], [{ alg: 'HS256' }], {}, { typ: 'at+jwt' }];
    headers.push(...[123, null, true, ['HS256'], { name: 'HS256' }].map((alg) => ({ alg })));
    for (const value of headers) {
      const h = encodeJson(value);
      expect(parseCompactJws(`${h}.${payload}.${b64(hs256(hsSecret, `${h}.${payload}`))}`), JSON.stringify(value)).toBeNull();
    }
    for (const text of ['not json', '{"alg":"HS256"', '{alg:"HS256"}', '']) {
      const h = b64(text);
      expect(parseCompactJws(`${h}.${payload}.${b64(randomBytes(32))}`), text).toBeNull();
    }
  });

  it('refuses a kid or typ that is not a string', () => {
    for (const extra of [{ kid: 1 }, { kid: null }, { kid: ['hs'] }, { typ: 1 }, { typ: { media: 'at+jwt' } }]) {
      expect(parseCompactJws(compact({ alg: 'HS256', ...extra }, 'abcd')), JSON.stringify(extra)).toBeNull();
    }
  });

  it('refuses any crit, since it understands no extension (RFC 7515 §4.1.11)', () => {
    for (const extra of [{ crit: [] }, { crit: ['exp'] }, { b64: false, crit: ['b64'] }, { crit: 'b64' }]) {
      expect(parseCompactJws(compact({ alg: 'HS256', ...extra }, 'abcd')), JSON.stringify(extra)).toBeNull();
    }
  });

  it('refuses headers that carry or point to a key (RFC 8725 §3.10)', () => {
    const embedded = {
      jwk: publicJwk(pairs.EdDSA.publicKey),
      jku: 'https://attacker.example/jwks.json',
      x5u: 'https://attacker.example/cert.pem',
      x5c: [pairs.RS256.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
      x5t: b64(randomBytes(20)),
      'x5t#S256': b64(randomBytes(32)),
    };
    for (const [member, value] of Object.entries(embedded)) {
      expect(parseCompactJws(compact({ alg: 'HS256', kid: 'hs', [member]: value }, 'abcd')), member).toBeNull();
    }
  });

  it('refuses input over the length limit, and only for its length', () => {
    const long = compact(header, 'x'.repeat(MAX_TOKEN_LENGTH));
    expect(long.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(parseCompactJws(long)).toBeNull();
    expect(parseCompactJws(long, long.length)).not.toBeNull();
    expect(parseCompactJws(good, good.length)).not.toBeNull();
    expect(parseCompactJws(good, good.length - 1)).toBeNull();
  });
});

describe('verifySignature: algorithm pinning', () => {
  it('accepts each algorithm only under its own pinned key', async () => {
    for (const signer of ALGS) {
      const jws = parsed(compact({ alg: signer, kid: keys[signer].kid }, 'abcd'));
      for (const verifier of ALGS) expect(await verifySignature(jws, keys[verifier]), `${signer} under ${verifier}`).toBe(signer === verifier);
    }
  });

  it('refuses a signature with one bit flipped, under every algorithm', async () => {
    for (const signer of ALGS) {
      const jws = parsed(compact({ alg: signer, kid: keys[signer].kid }, 'abcd'));
      const flipped = Buffer.from(jws.signature);
      flipped[0] = (flipped[0] ?? 0) ^ 1;
      expect(await verifySignature(jws, keys[signer]), `${signer} as signed`).toBe(true);
      expect(await verifySignature({ ...jws, signature: flipped }, keys[signer]), `${signer} tampered`).toBe(false);
    }
  });

  it('refuses alg none in every spelling, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const input = `${encodeJson({ alg, kid: 'hs' })}.${b64('abcd')}`;
      expect(parseCompactJws(`${input}.`), `${alg} unsigned`).toBeNull();
      for (const signature of [hs256(hsSecret, input), randomBytes(64), Buffer.from([0])]) {
        const jws = parsed(`${input}.${b64(signature)}`);
        expect(jws.header.alg).toBe(alg);
        for (const pinned of ALGS) expect(await verifySignature(jws, keys[pinned]), `${alg} under ${pinned}`).toBe(false);
      }
    }
  });

  it('refuses a token whose alg differs from the key even when the signature would verify', async () => {
    // The same HS256 signature, relabelled: the header's alg never chooses the algorithm.
    const input = `${encodeJson({ alg: 'HS256', kid: 'hs' })}.${b64('abcd')}`;
    const jws = parsed(`${input}.${b64(hs256(hsSecret, input))}`);
    expect(await verifySignature(jws, keys.HS256)).toBe(true);
    for (const pinned of ['EdDSA', 'ES256', 'RS256'] as const) {
      expect(await verifySignature(jws, { ...keys[pinned], key: keys.HS256.key }), `HS256 under a key pinned to ${pinned}`).toBe(false);
      expect(await verifySignature(jws, keys[pinned]), `HS256 under the ${pinned} key`).toBe(false);
    }
    // And the reverse: a signature right for the pinned key, under a header naming anything else.
    for (const pinned of ALGS) {
      for (const alg of [...ALGS, 'none', 'eddsa', 'Ed25519', 'hs256', 'RS256 ', 'PS256'].filter((other) => other !== pinned)) {
        const relabelled = `${encodeJson({ alg, kid: keys[pinned].kid })}.${b64('abcd')}`;
        const token = parsed(`${relabelled}.${b64(signInput(pinned, relabelled))}`);
        expect(await verifySignature(token, keys[pinned]), `${pinned} signature labelled ${alg}`).toBe(false);
      }
    }
  });

  it('refuses HS256 tokens keyed with the public key bytes, in every form (key confusion)', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
      const publicKey = pairs[alg].publicKey;
      const jwk = publicJwk(publicKey);
      const raw = alg === 'RS256' ? [Buffer.from(String(jwk.n), 'base64url')] : alg === 'EdDSA' ? [Buffer.from(String(jwk.x), 'base64url')] : ecRaw(jwk);
      const forms: Buffer[] = [
        Buffer.from(publicKey.export({ format: 'pem', type: 'spki' })),
        publicKey.export({ format: 'der', type: 'spki' }),
        Buffer.from(JSON.stringify(jwk)),
        Buffer.from(JSON.stringify({ ...jwk, kid: keys[alg].kid, alg })),
        ...raw,
      ];
      for (const [index, bytes] of forms.entries()) {
        const input = `${encodeJson({ alg: 'HS256', kid: keys[alg].kid })}.${b64('abcd')}`;
        const jws = parsed(`${input}.${b64(hs256(bytes, input))}`);
        // Control: the MAC is right for those bytes; only the pinned algorithm refuses it.
        expect(await verifySignature(jws, { kid: 'control', alg: 'HS256', key: createSecretKey(bytes) })).toBe(true);
        expect(await verifySignature(jws, keys[alg]), `${alg} form ${index}`).toBe(false);
      }
      expect(importVerifyKey(jwk, 'HS256', 'confused'), `${alg} public JWK as HS256`).toBeNull();
    }
  });

  it('refuses ES256 signatures in DER rather than R || S (RFC 7518 §3.4)', async () => {
    const input = `${encodeJson({ alg: 'ES256', kid: 'ec' })}.${b64('abcd')}`;
    const der = sign('sha256', Buffer.from(input), { key: pairs.ES256.privateKey, dsaEncoding: 'der' });
    expect(await verifySignature(parsed(`${input}.${b64(signInput('ES256', input))}`), keys.ES256)).toBe(true);
    expect(await verifySignature(parsed(`${input}.${b64(der)}`), keys.ES256)).toBe(false);
  });
});

function ecRaw(jwk: Record<string, unknown>): Buffer[] {
  const xy = Buffer.concat([Buffer.from(String(jwk.x), 'base64url'), Buffer.from(String(jwk.y), 'base64url')]);
  return [xy, Buffer.concat([Buffer.from([4]), xy])];
}

describe('Ed25519 malleability (RFC 8032 §5.1.7)', () => {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const toLittleEndian = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(64, '0'), 'hex').reverse();
  const fromLittleEndian = (bytes: Buffer): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
  const input = `${encodeJson({ alg: 'EdDSA', kid: 'ed' })}.${b64('abcd')}`;
  const signature = signInput('EdDSA', input);
  const withS = (s: bigint): Buffer => Buffer.concat([signature.subarray(0, 32), toLittleEndian(s)]);

  it('refuses S + L, which the group equation alone would accept', async () => {
    const s = fromLittleEndian(signature.subarray(32));
    expect(s + L < 2n ** 256n).toBe(true);
    expect(withS(s)).toEqual(signature);
    expect(await verifySignature(parsed(`${input}.${b64(signature)}`), keys.EdDSA)).toBe(true);
    expect(await verifySignature(parsed(`${input}.${b64(withS(s + L))}`), keys.EdDSA)).toBe(false);
    expect(await verifyEd25519(keys.EdDSA.key, Buffer.from(input), withS(s + L))).toBe(false);
    expect(await verifyEd25519(keys.EdDSA.key, Buffer.from(input), withS(L))).toBe(false);
  });

  it('refuses wrong lengths and keys of another type', async () => {
    const message = Buffer.from(input);
    expect(await verifyEd25519(keys.EdDSA.key, message, signature)).toBe(true);
    expect(await verifyEd25519(keys.EdDSA.key, message, signature.subarray(0, 63))).toBe(false);
    expect(await verifyEd25519(keys.EdDSA.key, message, Buffer.concat([signature, Buffer.from([0])]))).toBe(false);
    expect(await verifyEd25519(keys.ES256.key, message, signature)).toBe(false);
    expect(await verifyEd25519(keys.HS256.key, message, signature)).toBe(false);
  });
});

describe('importVerifyKey', () => {
  const rsaJwk = publicJwk(pairs.RS256.publicKey);

  it('refuses keys meant for another algorithm or use', () => {
    expect(importVerifyKey({ ...rsaJwk, alg: 'RS256', use: 'sig', key_ops: ['verify'] }, 'RS256', 'ok')).not.toBeNull();
    expect(importVerifyKey({ ...rsaJwk, alg: 'PS256' }, 'RS256', 'x')).toBeNull();
    expect(importVerifyKey({ ...rsaJwk, use: 'enc' }, 'RS256', 'x')).toBeNull();
    expect(importVerifyKey({ ...rsaJwk, key_ops: ['encrypt'] }, 'RS256', 'x')).toBeNull();
    expect(importVerifyKey(publicJwk(pairs.ES256.publicKey), 'EdDSA', 'x')).toBeNull();
    expect(importVerifyKey({ kty: 'oct', k: b64(randomBytes(31)) }, 'HS256', 'x')).toBeNull();
  });

  it('refuses RSA keys under 2048 bits or with a small public exponent', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const three = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey;
    expect(importVerifyKey(publicJwk(small), 'RS256', 'x')).toBeNull();
    expect(importVerifyKey(publicJwk(three), 'RS256', 'x')).toBeNull();
    expect(importVerifyKey({ ...rsaJwk, e: 'AQ' }, 'RS256', 'x')).toBeNull();
  });
});

describe('checkAccessClaims', () => {
  const NOW = 1_700_000_000;
  const expected: ClaimExpectations = { issuer: 'https://auth.example', audience: 'tessera', leeway: 30 };
  const base = { iss: expected.issuer, aud: expected.audience, sub: 'user-1', name: 'alice', role: 'user', sid: 'sid-1', jti: 'jti-1', iat: NOW - 60, exp: NOW + 840 };

  const jwsOf = (payload: unknown, header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed' }): CompactJws =>
    parsed(compact(header, typeof payload === 'string' ? payload : JSON.stringify(payload), 'EdDSA'));
  const check = (claims: Record<string, unknown>, now = NOW, expectations = expected) => checkAccessClaims(jwsOf(claims), expectations, now);
  const without = (name: string): Record<string, unknown> => Object.fromEntries(Object.entries(base).filter(([key]) => key !== name));

  it('returns the claims of a good token', () => {
    // A token that names no amr or auth_time (an older one) gets the empty defaults.
    expect(check(base)).toEqual({ ...base, amr: [], auth_time: 0 });
    expect(check({ ...base, amr: ['pwd', 'otp', 'mfa'], auth_time: NOW - 60 })).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], auth_time: NOW - 60 });
    for (const amr of ['pwd', [1], Array(9).fill('pwd'), ['x'.repeat(17)]]) expect(check({ ...base, amr })).toBe('invalid_token');
    expect(check({ ...base, auth_time: -1 })).toBe('invalid_token');
    expect(check({ ...base, role: 'admin' })).toMatchObject({ role: 'admin' });
    expect(check({ ...base, aud: ['other', expected.audience] })).toMatchObject({ aud: expected.audience });
  });

  it('refuses a typ other than at+jwt (RFC 9068 §2.1)', () => {
    for (const typ of [undefined, 'JWT', 'jwt', 'id_token+jwt', '']) {
      const header = typ === undefined ? { alg: 'EdDSA', kid: 'ed' } : { alg: 'EdDSA', kid: 'ed', typ };
      expect(checkAccessClaims(jwsOf(base, header), expected, NOW), String(typ)).toBe('invalid_token');
    }
  });

  it('refuses another issuer or audience', () => {
    for (const iss of ['https://evil.example', `${expected.issuer}/`, expected.issuer.toUpperCase()]) {
      expect(check({ ...base, iss }), iss).toBe('invalid_token');
    }
    for (const aud of ['other', [], ['other'], 'TESSERA', [['tessera']]]) expect(check({ ...base, aud }), JSON.stringify(aud)).toBe('invalid_token');
  });

  it('expires exactly at exp plus the leeway, and caps the leeway at 30 s', () => {
    expect(check({ ...base, exp: NOW - 29 })).toMatchObject({ exp: NOW - 29 });
    expect(check({ ...base, exp: NOW - 30 })).toBe('token_expired');
    expect(check({ ...base, exp: NOW - 31 })).toBe('token_expired');
    expect(check({ ...base, exp: NOW - 30 }, NOW, { ...expected, leeway: 300 })).toBe('token_expired');
    expect(check({ ...base, exp: NOW }, NOW, { ...expected, leeway: 0 })).toBe('token_expired');
    expect(check({ ...base, exp: NOW + 1 }, NOW, { ...expected, leeway: 0 })).toMatchObject({ exp: NOW + 1 });
  });

  it('refuses nbf and iat further in the future than the leeway', () => {
    expect(check({ ...base, nbf: NOW + 30 })).toMatchObject({ sub: base.sub });
    expect(check({ ...base, nbf: NOW + 31 })).toBe('invalid_token');
    expect(check({ ...base, iat: NOW + 30 })).toMatchObject({ iat: NOW + 30 });
    expect(check({ ...base, iat: NOW + 31 })).toBe('invalid_token');
    expect(check({ ...base, iat: NOW + 31 }, NOW, { ...expected, leeway: 300 })).toBe('invalid_token');
  });

  it('refuses times that are not non-negative integers', () => {
    const bad: unknown[] = [NOW + 100.5, String(NOW + 100), -1, 2 ** 53, null, true, [NOW + 100], { t: NOW + 100 }];
    for (const value of bad) {
      for (const claim of ['exp', 'iat', 'nbf']) expect(check({ ...base, [claim]: value }), `${claim} ${JSON.stringify(value)}`).toBe('invalid_token');
    }
  });

  it('refuses a token missing any claim', () => {
    for (const name of Object.keys(base)) expect(check(without(name)), name).toBe('invalid_token');
  });

  it('refuses empty or over-long string claims', () => {
    for (const name of ['sub', 'name', 'sid', 'jti']) {
      expect(check({ ...base, [name]: '' }), `${name} empty`).toBe('invalid_token');
      expect(check({ ...base, [name]: 'x'.repeat(257) }), `${name} long`).toBe('invalid_token');
      expect(check({ ...base, [name]: 7 }), `${name} number`).toBe('invalid_token');
    }
  });

  it('refuses a role other than user or admin', () => {
    for (const role of ['root', 'Admin', 'USER', 'superuser', '', null, ['admin'], 1]) {
      expect(check({ ...base, role }), JSON.stringify(role)).toBe('invalid_token');
    }
  });

  it('refuses a payload that is not a JSON object', () => {
    for (const payload of ['not json', '[]', '"claims"', 'null', '42', '']) {
      expect(checkAccessClaims(jwsOf(payload), expected, NOW), JSON.stringify(payload)).toBe('invalid_token');
    }
  });
});
