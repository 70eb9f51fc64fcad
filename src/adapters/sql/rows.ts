import type { Insertable, Selectable } from 'kysely';
import {
  AUDIT_EVENTS,
  type AuditEntry,
  AUTH_METHODS,
  type AuditEvent,
  type AuthMethod,
  type CredentialKind,
  type FeedMessage,
  type RevocationEvent,
  type Session,
  type SigningAlg,
  type StoredAuditEntry,
  type StoredKey,
  type TokenFamily,
  type Transport,
  type User,
  isRole,
} from '../../core/model.js';
import type { SqlDialect } from './dialect.js';
import type { AuditLogTable, FamiliesTable, RevocationsTable, SessionsTable, SigningKeysTable, UsersTable } from './schema.js';

/** Row <-> domain mapping, one pair per table. A value the domain does not know is a corrupt row: fail loudly. */

function known<T extends string>(values: readonly T[], value: string, column: string): T {
  if (!(values as readonly string[]).includes(value)) throw new Error(`unexpected ${column} ${JSON.stringify(value)} in the database`);
  return value as T;
}

const TRANSPORTS: readonly Transport[] = ['body', 'cookie'];
const ALGS: readonly SigningAlg[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

export function userFromRow(row: Selectable<UsersTable>): User {
  if (!isRole(row.role)) throw new Error(`unexpected role ${JSON.stringify(row.role)} in the database`);
  return {
    id: row.id,
    username: row.username,
    usernameKey: row.username_key,
    role: row.role,
    disabled: Boolean(row.disabled),
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    tokensNotBefore: row.tokens_not_before,
    credentialsNotBefore: row.credentials_not_before,
    email: row.email,
    emailKey: row.email_key,
    emailVerified: Boolean(row.email_verified),
  };
}

export const userToRow = (u: User, dialect: SqlDialect): Insertable<UsersTable> => ({
  id: u.id,
  username: u.username,
  username_key: u.usernameKey,
  role: u.role,
  disabled: dialect.flag(u.disabled),
  password_hash: u.passwordHash,
  created_at: u.createdAt,
  tokens_not_before: u.tokensNotBefore,
  credentials_not_before: u.credentialsNotBefore,
  email: u.email,
  email_key: u.emailKey,
  email_verified: dialect.flag(u.emailVerified),
});

const amrFromColumn = (text: string): AuthMethod[] => text.split(' ').filter((m) => m !== '').map((m) => known(AUTH_METHODS, m, 'amr'));

export const sessionFromRow = (row: Selectable<SessionsTable>): Session => ({
  id: row.id,
  userId: row.user_id,
  amr: amrFromColumn(row.amr),
  authTime: row.auth_time,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleTimeoutMs: row.idle_timeout_ms,
  expiresAt: row.expires_at,
  remember: Boolean(row.remember),
  ip: row.ip,
  userAgent: row.user_agent,
  revokedAt: row.revoked_at,
  revokeReason: row.revoke_reason,
});

export const sessionToRow = (s: Session, dialect: SqlDialect): Insertable<SessionsTable> => ({
  id: s.id,
  user_id: s.userId,
  amr: s.amr.join(' '),
  auth_time: s.authTime,
  secret_hash: s.secretHash,
  created_at: s.createdAt,
  last_seen_at: s.lastSeenAt,
  idle_timeout_ms: s.idleTimeoutMs,
  expires_at: s.expiresAt,
  remember: dialect.flag(s.remember),
  ip: s.ip,
  user_agent: s.userAgent,
  revoked_at: s.revokedAt,
  revoke_reason: s.revokeReason,
});

export const familyFromRow = (row: Selectable<FamiliesTable>): TokenFamily => ({
  id: row.id,
  userId: row.user_id,
  amr: amrFromColumn(row.amr),
  authTime: row.auth_time,
  generation: row.generation,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  rotatedAt: row.rotated_at,
  idleTimeoutMs: row.idle_timeout_ms,
  expiresAt: row.expires_at,
  transport: known(TRANSPORTS, row.transport, 'transport'),
  ip: row.ip,
  userAgent: row.user_agent,
  revokedAt: row.revoked_at,
  revokeReason: row.revoke_reason,
});

export const familyToRow = (f: TokenFamily): Insertable<FamiliesTable> => ({
  id: f.id,
  user_id: f.userId,
  amr: f.amr.join(' '),
  auth_time: f.authTime,
  generation: f.generation,
  secret_hash: f.secretHash,
  created_at: f.createdAt,
  rotated_at: f.rotatedAt,
  idle_timeout_ms: f.idleTimeoutMs,
  expires_at: f.expiresAt,
  transport: f.transport,
  ip: f.ip,
  user_agent: f.userAgent,
  revoked_at: f.revokedAt,
  revoke_reason: f.revokeReason,
});

export const keyFromRow = (row: Selectable<SigningKeysTable>): StoredKey => ({
  kid: row.kid,
  alg: known(ALGS, row.alg, 'alg'),
  publicJwk: row.public_jwk,
  privateJwk: row.private_jwk,
  createdAt: row.created_at,
  activatesAt: row.activates_at,
  retiredAt: row.retired_at,
});

export const keyToRow = (k: StoredKey): Insertable<SigningKeysTable> => ({
  kid: k.kid,
  alg: k.alg,
  public_jwk: k.publicJwk,
  private_jwk: k.privateJwk,
  created_at: k.createdAt,
  activates_at: k.activatesAt,
  retired_at: k.retiredAt,
});

export const auditFromRow = (row: Selectable<AuditLogTable>): StoredAuditEntry => ({
  seq: row.seq,
  at: row.at,
  event: known<AuditEvent>(AUDIT_EVENTS, row.event, 'audit event'),
  userId: row.user_id,
  ip: row.ip,
  userAgent: row.user_agent,
  reason: row.reason,
  hash: row.hash,
});

export const auditToRow = (e: AuditEntry, seq: number, hash: string): Insertable<AuditLogTable> => ({
  seq,
  at: e.at,
  event: e.event,
  user_id: e.userId,
  ip: e.ip,
  user_agent: e.userAgent,
  reason: e.reason,
  hash,
});

const KINDS: readonly CredentialKind[] = ['session', 'family'];

export function messageFromRow(row: Selectable<RevocationsTable>): FeedMessage {
  const id = Number(row.seq);
  if (row.type === 'credential' && row.sid !== null) {
    // Rows from before migration 002 name no kind: a session's effect is harmless on a family id.
    const kind = row.kind === null ? 'session' : known(KINDS, row.kind, 'revocation kind');
    return { id, event: { type: 'credential', kind, sid: row.sid, userId: row.user_id, reason: row.reason ?? 'revoked', at: row.at } };
  }
  if (row.type === 'user') return { id, event: { type: 'user', userId: row.user_id, at: row.at, notBefore: row.not_before } };
  throw new Error(`unexpected revocation type ${JSON.stringify(row.type)} in the database`);
}

export const eventToRow = (e: RevocationEvent, delivered: boolean, dialect: SqlDialect): Insertable<RevocationsTable> => ({
  at: e.at,
  type: e.type,
  kind: e.type === 'credential' ? e.kind : null,
  sid: e.type === 'credential' ? e.sid : null,
  user_id: e.userId,
  reason: e.type === 'credential' ? e.reason : null,
  not_before: e.type === 'user' ? e.notBefore : null,
  delivered: dialect.flag(delivered),
});
