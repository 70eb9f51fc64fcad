import { AUTH_METHODS, type AuthMethod, type Session } from '../../core/model.js';

/**
 * A session as a Redis hash, field for field. The id is the key, not a field. The secret digest is
 * hex so that it round-trips byte for byte; a null time or reason is an absent field.
 */
export function sessionToFields(session: Session): string[] {
  const fields = [
    'u', session.userId,
    'h', session.secretHash.toString('hex'),
    'c', String(session.createdAt),
    'l', String(session.lastSeenAt),
    'i', String(session.idleTimeoutMs),
    'e', String(session.expiresAt),
    'm', session.remember ? '1' : '0',
    'ip', session.ip,
    'ua', session.userAgent,
    'am', session.amr.join(' '),
    'at', String(session.authTime),
  ];
  if (session.revokedAt !== null) fields.push('ra', String(session.revokedAt));
  if (session.revokeReason !== null) fields.push('rr', session.revokeReason);
  return fields;
}

/** The hash of session `id`; throws on a record that is not one of ours, rather than inventing values. */
export function sessionFromHash(id: string, hash: Readonly<Record<string, string>>): Session {
  const text = (field: string): string => {
    const value = hash[field];
    if (value === undefined) throw new Error(`session ${id} lacks field ${field}`);
    return value;
  };
  const number = (field: string): number => {
    const value = Number(text(field));
    if (!Number.isFinite(value)) throw new Error(`session ${id} has a malformed ${field}`);
    return value;
  };
  return {
    id,
    userId: text('u'),
    secretHash: Buffer.from(text('h'), 'hex'),
    createdAt: number('c'),
    lastSeenAt: number('l'),
    idleTimeoutMs: number('i'),
    expiresAt: number('e'),
    remember: text('m') === '1',
    ip: text('ip'),
    userAgent: text('ua'),
    // Records written before issue 13 have neither: a password login, at creation.
    amr: (hash.am ?? 'pwd').split(' ').filter((method): method is AuthMethod => AUTH_METHODS.includes(method as AuthMethod)),
    authTime: hash.at === undefined ? number('c') : number('at'),
    revokedAt: hash.ra === undefined ? null : number('ra'),
    revokeReason: hash.rr ?? null,
  };
}

/** A flat `[field, value, ...]` reply (HGETALL inside Lua) as an object. */
export function pairsToHash(flat: readonly unknown[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [field, value] = [flat[i], flat[i + 1]];
    if (typeof field !== 'string' || typeof value !== 'string') throw new Error('unexpected reply from Redis');
    hash[field] = value;
  }
  return hash;
}
