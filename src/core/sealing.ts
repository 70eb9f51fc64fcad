import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/**
 * Private keys and the server secret at rest, when TESSERA_KEY_SECRET is set: AES-256-GCM under a key
 * stretched from the secret with scrypt and a per-value salt (ASVS 5.0 V11.3, authenticated
 * encryption).
 */
const PREFIX = 'enc:v1:';

const deriveKey = (secret: string, salt: Buffer): Buffer => scryptSync(secret, salt, 32);

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export function seal(plaintext: string, secret: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + [salt, iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

/** Opens a sealed value; throws when the secret is wrong or the value was altered. */
export function open(stored: string, secret: string): string {
  const [salt, iv, tag, body] = stored
    .slice(PREFIX.length)
    .split('.')
    .map((part) => Buffer.from(part, 'base64url'));
  if (!salt || !iv || !tag || !body) throw new Error('malformed sealed value');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

const KEYED_PREFIX = 'enc:k1:';

/**
 * Second-factor secrets at rest: AES-256-GCM under a key derived from the server secret (itself sealed
 * with TESSERA_KEY_SECRET when set), bound to `context` (the owner's id), so that a copied row opens for
 * no other user and a database dump alone reveals nothing. No scrypt: the key is already uniform.
 */
export function sealWithKey(plaintext: string, key: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return KEYED_PREFIX + [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

/** Opens what `sealWithKey` sealed for `context`; throws when the key, the context or the value differ. */
export function openWithKey(stored: string, key: Buffer, context: string): string {
  if (!stored.startsWith(KEYED_PREFIX)) throw new Error('not a keyed sealed value');
  const [iv, tag, body] = stored
    .slice(KEYED_PREFIX.length)
    .split('.')
    .map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) throw new Error('malformed sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
