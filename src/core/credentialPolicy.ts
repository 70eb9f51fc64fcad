import { AuthError, type FieldError } from './errors.js';

/** What registration and password changes enforce (API.md, "Registration"; NIST SP 800-63B rev. 4 §3.1.1.2). */
export interface PasswordPolicy {
  minLength: number;
  /** Lower-cased, NFKC-normalised breached passwords: an O(1) look-up. */
  blocklist: ReadonlySet<string>;
}

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 64;
export const PASSWORD_MAX = 256;

const USERNAME_CHARS = /^[\p{L}\p{Nd}._-]+$/u;

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

export const normalizeUsername = (raw: string): string => raw.normalize('NFKC');

/** The unique key of a user name: NFKC, then lower case; login also trims, so that variants meet. */
export const usernameKey = (raw: string): string => raw.trim().normalize('NFKC').toLowerCase();

/**
 * Refuses ill-formed UTF-16 (a lone surrogate): it cannot be encoded, so hashing would turn it into
 * U+FFFD and make different passwords one (issue 11).
 */
export function checkWellFormed(value: string, field: string): FieldError | null {
  return value.isWellFormed() ? null : { field, code: 'invalid_characters', message: 'must be well-formed Unicode (no lone surrogates)' };
}

/** Throws `validation_failed` naming every field that is not well-formed Unicode. */
export function assertWellFormed(fields: Record<string, string>): void {
  const errors = Object.entries(fields)
    .map(([field, value]) => checkWellFormed(value, field))
    .filter((error): error is FieldError => error !== null);
  if (errors.length > 0) throw new AuthError('validation_failed', { detail: 'the request holds ill-formed Unicode', errors });
}

export function checkUsername(username: string): FieldError | null {
  const length = codePoints(username);
  const fail = (code: string, message: string): FieldError => ({ field: 'username', code, message });
  if (length < USERNAME_MIN) return fail('too_short', `must be at least ${USERNAME_MIN} characters`);
  if (length > USERNAME_MAX) return fail('too_long', `must be at most ${USERNAME_MAX} characters`);
  if (!USERNAME_CHARS.test(username)) {
    return fail('invalid_characters', 'may hold only letters, digits, ".", "_" and "-"');
  }
  return null;
}

/**
 * Checks a password, already NFKC-normalised, against the policy. Counts code points and never
 * truncates; no composition rules (NIST SP 800-63B rev. 4 §3.1.1.2).
 */
export function checkPassword(
  password: string,
  username: string,
  policy: PasswordPolicy,
  field = 'password',
): FieldError | null {
  const length = codePoints(password);
  const fail = (code: string, message: string): FieldError => ({ field, code, message });
  if (length < policy.minLength) return fail('too_short', `must be at least ${policy.minLength} characters`);
  if (length > PASSWORD_MAX) return fail('too_long', `must be at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (policy.blocklist.has(lower)) return fail('too_common', 'is on a list of commonly breached passwords');
  if (username !== '' && lower.includes(usernameKey(username))) {
    return fail('contains_username', 'must not contain the user name');
  }
  return null;
}

/** Builds the look-up set from a word list (normalised like candidate passwords). */
export const buildBlocklist = (words: Iterable<string>): ReadonlySet<string> =>
  new Set(Array.from(words, (word) => word.normalize('NFKC').toLowerCase()));
