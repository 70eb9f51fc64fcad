import { type KeyObject, createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify } from 'node:crypto';
import { decodeBase64url } from './crypto.js';
import type { SigningAlg } from './model.js';

/**
 * The strict compact-JWS layer (RFC 7515 §7.1). jose accepts non-canonical base64url, so this
 * structural check is ours (STYLE.md, habit 9); signatures go through node:crypto with keys imported
 * once, on libuv's thread pool.
 */

export const JWS_ALGS: readonly SigningAlg[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

/** A key pinned to one algorithm (RFC 8725 §3.1): a token naming another `alg` is refused. */
export interface VerifyKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
}

export interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [member: string]: unknown;
}

export interface CompactJws {
  header: JwsHeader;
  payload: Buffer;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
  signingInput: string;
  signature: Buffer;
}

/** Header members that would make us trust or fetch a key named by the token itself (RFC 8725 §3.10). */
const KEY_BEARING_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];

export const MAX_TOKEN_LENGTH = 8192;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseHeader(bytes: Buffer): JwsHeader | null {
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(header) || typeof header.alg !== 'string') return null;
  if (header.kid !== undefined && typeof header.kid !== 'string') return null;
  if (header.typ !== undefined && typeof header.typ !== 'string') return null;
  // RFC 7515 §4.1.11: we understand no extension, so any `crit` is refused (this also refuses b64).
  if ('crit' in header) return null;
  if (KEY_BEARING_MEMBERS.some((member) => member in header)) return null;
  return header as JwsHeader;
}

/**
 * Parses a compact JWS: exactly three parts, each canonical base64url (no padding, no `+/`, no
 * whitespace, no stray bits), a JSON-object header with a string `alg`. JSON serialisation, JWE (five
 * parts) and oversized input are null. The payload may be empty; the signature may not.
 */
export function parseCompactJws(token: string, maxLength = MAX_TOKEN_LENGTH): CompactJws | null {
  if (token.length > maxLength) return null;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return null;
  const headerBytes = decodeBase64url(token.slice(0, first));
  const payload = decodeBase64url(token.slice(first + 1, second));
  const signature = decodeBase64url(token.slice(second + 1));
  if (!headerBytes || !payload || !signature || signature.length === 0) return null;
  const header = parseHeader(headerBytes);
  if (!header) return null;
  return { header, payload, signingInput: token.slice(0, second), signature };
}

/** RFC 8032 §5.1: L, the order of the Ed25519 base point. */
const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

const littleEndian = (bytes: Buffer): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);

/** What a signature check needs: a verdict reached already (a MAC, or a signature that cannot match), or node:crypto verify()'s arguments. */
type SignatureCheck = boolean | { algorithm: string | null; data: Buffer; key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }; signature: Buffer };

/** Ed25519 (RFC 8032 §5.1.7); §8.4: S ≥ L would make signatures malleable, so it is refused here, whatever OpenSSL does. */
const ed25519Check = (key: KeyObject, data: Buffer, signature: Buffer): SignatureCheck =>
  key.asymmetricKeyType === 'ed25519' && signature.length === 64 && littleEndian(signature.subarray(32)) < ED25519_ORDER && { algorithm: null, data, key, signature };

/** The check of one signature under a key pinned to `key.alg`, up to the public-key operation. */
function signatureCheck(jws: CompactJws, key: VerifyKey): SignatureCheck {
  if (jws.header.alg !== key.alg) return false;
  const data = Buffer.from(jws.signingInput, 'ascii');
  const signature = jws.signature;
  switch (key.alg) {
    case 'EdDSA':
      return ed25519Check(key.key, data, signature);
    case 'ES256':
      // RFC 7518 §3.4: R || S, 32 bytes each; DER and other lengths are refused.
      return signature.length === 64 && { algorithm: 'sha256', data, key: { key: key.key, dsaEncoding: 'ieee-p1363' }, signature };
    case 'RS256': {
      const modulusBytes = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      return signature.length === modulusBytes && { algorithm: 'sha256', data, key: key.key, signature };
    }
    case 'HS256': {
      const mac = createHmac('sha256', key.key).update(data).digest();
      return signature.length === mac.length && timingSafeEqual(signature, mac);
    }
  }
}

/** Runs a check, its public-key operation on libuv's thread pool (off the event loop, as Argon2id). Never rejects. */
function runOffLoop(check: () => SignatureCheck): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const args = check();
      if (typeof args === 'boolean') return resolve(args);
      verify(args.algorithm, args.data, args.key, args.signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/** Checks one signature with a key pinned to `key.alg`, off the event loop. Never rejects. */
export function verifySignature(jws: CompactJws, key: VerifyKey): Promise<boolean> {
  return runOffLoop(() => signatureCheck(jws, key));
}

/** Ed25519 over raw message bytes: the EdDSA path of verifySignature, for messages that are not a signing input. Never rejects. */
export function verifyEd25519(key: KeyObject, message: Buffer, signature: Buffer): Promise<boolean> {
  return runOffLoop(() => ed25519Check(key, message, signature));
}

/**
 * CVE-2017-15361 (ROCA): Infineon's primes are 65537^a mod M plus a multiple of M, M the product of the
 * primes up to 167, so such a modulus lies in the subgroup generated by 65537 modulo each of them.
 */
const ROCA_PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167];
const ROCA_SUBGROUPS = ROCA_PRIMES.map((prime) => {
  const residues = new Set<number>();
  for (let r = 1; !residues.has(r); r = (r * 65537) % prime) residues.add(r);
  return residues;
});

const hasRocaFingerprint = (modulus: bigint): boolean =>
  ROCA_PRIMES.every((prime, i) => ROCA_SUBGROUPS[i]?.has(Number(modulus % BigInt(prime))) === true);

/** NIST SP 800-131A: 2048 bits at least; FIPS 186-5 §A.1.1: e odd with 2^16 < e < 2^256 (e = 1 signs nothing). */
function isAcceptableRsaKey(key: KeyObject): boolean {
  const { modulusLength = 0, publicExponent = 0n } = key.asymmetricKeyDetails ?? {};
  if (modulusLength < 2048 || publicExponent % 2n === 0n || publicExponent <= 2n ** 16n || publicExponent >= 2n ** 256n) return false;
  const n = key.export({ format: 'jwk' }).n;
  const modulus = typeof n === 'string' ? decodeBase64url(n) : null;
  return modulus !== null && !hasRocaFingerprint(BigInt(`0x${modulus.toString('hex')}`));
}

/** The public (or, for HS256, secret) KeyObject of a JWK, checked against the algorithm it is pinned to. */
export function importVerifyKey(jwk: Record<string, unknown>, alg: SigningAlg, kid: string): VerifyKey | null {
  if (jwk.alg !== undefined && jwk.alg !== alg) return null;
  // RFC 7517 §4.2-4.3: a key meant for encryption, or not for verification, never verifies.
  if (jwk.use !== undefined && jwk.use !== 'sig') return null;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return null;
  const expected = { EdDSA: ['OKP', 'Ed25519'], ES256: ['EC', 'P-256'], RS256: ['RSA', undefined], HS256: ['oct', undefined] }[alg];
  if (jwk.kty !== expected[0] || (expected[1] !== undefined && jwk.crv !== expected[1])) return null;
  try {
    if (alg === 'HS256') {
      const secret = typeof jwk.k === 'string' ? decodeBase64url(jwk.k) : null;
      return secret && secret.length >= 32 ? { kid, alg, key: createSecretKey(secret) } : null;
    }
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = jwk;
    const key = createPublicKey({ key: publicPart as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (alg === 'RS256' && !isAcceptableRsaKey(key)) return null;
    return { kid, alg, key };
  } catch {
    return null;
  }
}
