import type { FieldError } from './errors.js';

/** RFC 5321 §4.5.3.1: at most 254 characters in a path; a local part of at most 64. */
const MAX_LENGTH = 254;
const MAX_LOCAL = 64;
/** A practical address: one @, no spaces or angle brackets, a dotted domain (IDN as typed). */
const SHAPE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/u;

/** The address as stored: NFKC, trimmed. */
export const normalizeEmail = (raw: string): string => raw.normalize('NFKC').trim();

/**
 * The key addresses are compared by: the domain is case-insensitive (RFC 5321 §2.4); the local part
 * is lower-cased too, as nearly every provider treats it, so that Alice@ and alice@ are one address.
 */
export const emailKey = (email: string): string => normalizeEmail(email).toLowerCase();

export function checkEmail(email: string, field = 'email'): FieldError | null {
  const fail = (code: string, message: string): FieldError => ({ field, code, message });
  if (!email.isWellFormed()) return fail('invalid_characters', 'must be well-formed Unicode (no lone surrogates)');
  if (email.length > MAX_LENGTH) return fail('too_long', `must be at most ${MAX_LENGTH} characters`);
  const local = email.slice(0, email.lastIndexOf('@'));
  if (!SHAPE.test(email) || local.length > MAX_LOCAL) return fail('invalid_format', 'must be an e-mail address, like name@example.com');
  return null;
}
