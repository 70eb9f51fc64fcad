import { ROLES, type Role, isRole } from '../core/model.js';

/** One account to create, from one line of an import file. */
export interface ImportEntry {
  username: string;
  password: string;
  role: Role;
}

const FIELDS = new Set(['username', 'password', 'role']);

/**
 * Reads `{"username": "...", "password": "...", "role"?: "user" | "admin"}`. Types are never coerced
 * and unknown fields are refused, so that a misspelt "role" cannot silently make a plain user.
 * Returns the entry, or why the line is refused.
 */
export function parseImportEntry(text: string): ImportEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) return `unknown field "${unknown}"`;
  const { username, password, role = 'user' } = record;
  if (typeof username !== 'string') return '"username" must be a string';
  if (typeof password !== 'string') return '"password" must be a string';
  if (!isRole(role)) return `"role" must be ${ROLES.join(' or ')}`;
  return { username, password, role };
}
