import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes as base64url. */
export const randomToken = (bytes: number): string => randomBytes(bytes).toString('base64url');

export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

export const hmac = (key: Buffer, value: string): Buffer => createHmac('sha256', key).update(value).digest();

/** Constant-time equality of two digests; never `===` on secrets. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A UUIDv7 (RFC 9562 §5.7): time-ordered, so ids sort by creation and make stable cursors. */
export function uuidv7(now: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no `+/`, no whitespace, and no stray bits in
 * the last character, so that every value has exactly one encoding. Returns null otherwise.
 */
export function decodeBase64url(text: string): Buffer | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/**
 * Splits an `id.secret` credential. Both halves must be canonical base64url of the expected sizes;
 * anything else is null (a malformed credential is a 401, never a 500).
 */
export function parseCredential(value: string, idBytes: number, secretBytes: number): { id: string; secret: Buffer } | null {
  if (value.length > 256) return null;
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const id = value.slice(0, dot);
  const idRaw = decodeBase64url(id);
  const secret = decodeBase64url(value.slice(dot + 1));
  if (idRaw?.length !== idBytes || secret?.length !== secretBytes) return null;
  return { id, secret };
}
