import { newSessionId } from '../../src/core/sessions.js';
import { readdirSync } from 'node:fs';
import { randomToken, sha256, uuidv7 } from '../../src/core/crypto.js';
import type { Session, TokenFamily, User } from '../../src/core/model.js';

/** Shared builders and waits for the contract suites; every adapter gets the same records. */

export const T0 = Date.UTC(2026, 0, 1);

/** The migration files of a dialect, in order: what opening a fresh database applies. */
export const MIGRATIONS = (dialect: 'sqlite' | 'postgres'): string[] =>
  readdirSync(new URL(`../../migrations/${dialect}/`, import.meta.url)).filter((name) => name.endsWith('.sql')).sort();

let userSeq = 0;

export function makeUser(overrides: Partial<User> = {}): User {
  userSeq++;
  const username = overrides.username ?? `User${userSeq}_${randomToken(4)}`;
  return {
    id: uuidv7(T0 + userSeq),
    username,
    usernameKey: username.normalize('NFKC').toLowerCase(),
    role: 'user',
    disabled: false,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    createdAt: T0,
    tokensNotBefore: 0,
    credentialsNotBefore: 0,
    email: null,
    emailKey: null,
    emailVerified: false,
    ...overrides,
  };
}

export function makeSession(overrides: Partial<Session> = {}): Session {
  const createdAt = overrides.createdAt ?? T0;
  const userId = overrides.userId ?? uuidv7(T0);
  return {
    // As the core mints them: the owner's shard first, so a cluster keeps a user's sessions in one slot.
    id: newSessionId(userId),
    userId,
    secretHash: sha256(randomToken(32)),
    createdAt,
    amr: ['pwd', 'otp', 'mfa'],
    authTime: createdAt,
    lastSeenAt: createdAt,
    idleTimeoutMs: 30 * 60_000,
    expiresAt: createdAt + 12 * 3_600_000,
    remember: false,
    ip: '203.0.113.7',
    userAgent: 'contract-test/1.0',
    revokedAt: null,
    revokeReason: null,
    ...overrides,
  };
}

export function makeFamily(overrides: Partial<TokenFamily> = {}): TokenFamily {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: randomToken(16),
    userId: uuidv7(T0),
    generation: 0,
    secretHash: sha256(randomToken(32)),
    createdAt,
    amr: ['hwk', 'mfa'],
    authTime: createdAt - 1,
    rotatedAt: createdAt,
    idleTimeoutMs: 30 * 86_400_000,
    expiresAt: createdAt + 90 * 86_400_000,
    transport: 'body',
    ip: '203.0.113.7',
    userAgent: 'contract-test/1.0',
    revokedAt: null,
    revokeReason: null,
    ...overrides,
  };
}

/** Polls `check` until it returns true; rejects after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const ids = (records: ReadonlyArray<{ id: string }>): string[] => records.map((r) => r.id);
