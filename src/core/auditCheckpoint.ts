import type { JWK } from 'jose';
import { type ChainCheck, verifyAuditChain } from './audit.js';
import { JWS_ALGS, importVerifyKey, parseCompactJws, verifySignature } from './jws.js';
import type { SigningAlg } from './model.js';
import type { AuditLog } from './ports.js';

/** The JWS `typ` of a checkpoint: no access-token verifier accepts one (they require `at+jwt`). */
export const CHECKPOINT_TYP = 'audit-checkpoint+jwt';

/** What a checkpoint vouches for: the chain's head, at a moment. */
export interface CheckpointClaims {
  iss: string;
  /** The sequence number of the last entry. */
  seq: number;
  /** That entry's chain hash (hex): it fixes every entry up to it. */
  hash: string;
  /** When the checkpoint was made, epoch seconds. */
  iat: number;
}

/**
 * A checkpoint as it is exported: the signed head, and the public key that signed it, so that it can
 * be verified after that key has left the JWKS. Kept outside the database (a copy elsewhere), it proves
 * that nothing up to `seq` was removed or changed: the chain alone cannot show that its newest entries
 * were deleted.
 */
export interface CheckpointFile {
  checkpoint: string;
  jwk: JWK | null;
}

export type CheckpointCheck =
  | { ok: true; claims: CheckpointClaims; chain: ChainCheck & { ok: true } }
  | { ok: false; reason: string };

const isClaims = (value: unknown): value is CheckpointClaims => {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.iss === 'string' && Number.isSafeInteger(v.seq) && typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash) && Number.isSafeInteger(v.iat);
};

/** The claims of a checkpoint whose signature `jwk` verifies (or `secret`, for HS256); null for anything else. */
export async function openCheckpoint(file: CheckpointFile, verifyWith: { jwk: JWK | null; hs256Secret: string | null }): Promise<CheckpointClaims | null> {
  const jws = parseCompactJws(file.checkpoint);
  if (!jws || jws.header.typ !== CHECKPOINT_TYP || typeof jws.header.kid !== 'string' || !JWS_ALGS.includes(jws.header.alg as SigningAlg)) return null;
  const alg = jws.header.alg as SigningAlg;
  const jwk = alg === 'HS256' ? (verifyWith.hs256Secret === null ? null : { kty: 'oct', k: Buffer.from(verifyWith.hs256Secret).toString('base64url') }) : verifyWith.jwk;
  const key = jwk && importVerifyKey(jwk as Record<string, unknown>, alg, jws.header.kid);
  if (!key || !(await verifySignature(jws, key))) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(jws.payload.toString('utf8'));
  } catch {
    return null;
  }
  return isClaims(claims) ? claims : null;
}

/**
 * Checks the chain and a checkpoint against it: the checkpoint's signature, then that the entry it
 * names is still there with the hash it names. A log that ends before it was truncated; a hash that
 * differs means an entry up to it was changed.
 */
export async function verifyWithCheckpoint(log: AuditLog, file: CheckpointFile, verifyWith: { jwk: JWK | null; hs256Secret: string | null }): Promise<CheckpointCheck> {
  const claims = await openCheckpoint(file, verifyWith);
  if (!claims) return { ok: false, reason: 'the checkpoint is not one this deployment signed (bad signature, type or claims)' };
  const chain = await verifyAuditChain(log);
  if (!chain.ok) return { ok: false, reason: `the chain is broken at seq ${chain.brokenAt}` };
  const [entry] = await log.read(claims.seq - 1, 1);
  if (!entry || entry.seq !== claims.seq) {
    return { ok: false, reason: `the log was truncated: the checkpoint names entry ${claims.seq}, and the log holds ${chain.entries}` };
  }
  if (entry.hash !== claims.hash) return { ok: false, reason: `entry ${claims.seq}, or one before it, was changed since the checkpoint` };
  return { ok: true, claims, chain };
}
