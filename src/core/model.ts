/** The domain records that the ports store. Times are epoch milliseconds unless a name says seconds. */

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

/** Lower roles come first: a change to a lower index is a demotion. */
export const roleRank = (role: Role): number => ROLES.indexOf(role);

export interface User {
  /** UUIDv7, so that ids sort by creation time. */
  id: string;
  /** As registered, after NFKC. */
  username: string;
  /** NFKC then `toLowerCase()`: the unique key (API.md, "Registration"). */
  usernameKey: string;
  role: Role;
  disabled: boolean;
  /** Argon2id PHC string. */
  passwordHash: string;
  /** The address as given, or null; proven only once `emailVerified`. */
  email: string | null;
  /** The address normalised (core/email.ts): unique among verified addresses. */
  emailKey: string | null;
  emailVerified: boolean;
  createdAt: number;
  /** Epoch seconds: access tokens with an earlier `iat` are dead. 0 when never set. */
  tokensNotBefore: number;
  /**
   * Epoch ms: every cookie session and token family created at or before it is dead (a disable, an
   * administrator's revoke-all), so that a user record alone ends them all, on every instance, even
   * where their own records could not be reached. 0 when never set.
   */
  credentialsNotBefore: number;
}

/** True when the user's credential created at `createdAt` was ended by the user's not-before. */
export const endedByUser = (user: User, createdAt: number): boolean => createdAt <= user.credentialsNotBefore;

export interface ClientInfo {
  ip: string;
  userAgent: string;
  /** The administrator acting, when an administrator acts on someone else's account. */
  actorId?: string;
}

/**
 * How a credential was authenticated (RFC 8176 values): `pwd`, `otp` (TOTP or a recovery code), `hwk`
 * or `swk` (a passkey bound to a device, or synced), and `mfa` when two factors were used.
 */
export const AUTH_METHODS = ['pwd', 'otp', 'hwk', 'swk', 'mfa'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const isAuthMethod = (value: string): value is AuthMethod => (AUTH_METHODS as readonly string[]).includes(value);

/** How and when a login authenticated the user; every credential it makes carries it. */
export interface Authentication {
  amr: AuthMethod[];
  /** ms */
  authTime: number;
}

/** What both kinds of credential record share: a public id, an owner, an end, a tombstone. */
interface CredentialRecord extends ClientInfo {
  /** Public handle, base64url of at least 128 random bits. */
  id: string;
  userId: string;
  createdAt: number;
  /** How the user authenticated, and when (ms): step-up asks for a recent or a second factor. */
  amr: AuthMethod[];
  authTime: number;
  /** Absolute end. */
  expiresAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

export interface Session extends CredentialRecord {
  /** SHA-256 of the secret half of the cookie value. */
  secretHash: Buffer;
  /** Last recorded use; recorded lazily, so the idle end may come early, never late. */
  lastSeenAt: number;
  idleTimeoutMs: number;
  remember: boolean;
}

export type Transport = 'body' | 'cookie';

export interface TokenFamily extends CredentialRecord {
  /** Rotation count: the current refresh token is generation `generation`. */
  generation: number;
  /** SHA-256 of the current refresh token's secret. */
  secretHash: Buffer;
  /** When the current generation was issued (the start of the reuse interval and of the idle window). */
  rotatedAt: number;
  idleTimeoutMs: number;
  transport: Transport;
}

export const sessionIdleEnd = (s: Session): number => s.lastSeenAt + s.idleTimeoutMs;
export const familyIdleEnd = (f: TokenFamily): number => f.rotatedAt + f.idleTimeoutMs;

/** The moment after which a record serves only to name its end; it is purged a day later. */
export const sessionEnd = (s: Session): number => s.revokedAt ?? Math.min(s.expiresAt, sessionIdleEnd(s));
export const familyEnd = (f: TokenFamily): number => f.revokedAt ?? Math.min(f.expiresAt, familyIdleEnd(f));

export type SigningAlg = 'EdDSA' | 'ES256' | 'RS256' | 'HS256';

export interface StoredKey {
  kid: string;
  alg: SigningAlg;
  /** Public JWK as JSON; for HS256, null (the key is the configured secret). */
  publicJwk: string | null;
  /** Private JWK as JSON, or `enc:v1:...` when encrypted with TESSERA_KEY_SECRET. */
  privateJwk: string;
  createdAt: number;
  /** When it starts to sign: published in the JWKS from `createdAt`, so that verifiers have it first. */
  activatesAt: number;
  /** When a newer key takes over signing; null while no newer key is scheduled. */
  retiredAt: number | null;
}

/**
 * What the revocation log records and the feed carries. Consumers apply events idempotently, so a
 * replay or a duplicate delivery is harmless.
 */
export type RevocationEvent =
  /**
   * One session or token family is dead: its `sid` is denied and its cached session evicted. A
   * session's tombstone in the session store is the event's effect, applied once it is logged.
   */
  | { type: 'credential'; kind: CredentialKind; sid: string; userId: string; reason: string; at: number }
  /**
   * The user record changed (role, disabled, password). With `notBefore` (epoch seconds), every
   * access token issued earlier is dead as well.
   */
  | { type: 'user'; userId: string; at: number; notBefore: number | null };

export type CredentialKind = 'session' | 'family';

/** An event as the revocation log holds it: `id` orders the log and names the event in every transport. */
export interface FeedMessage {
  id: number;
  event: RevocationEvent;
}

export const AUDIT_EVENTS = [
  'register',
  'login_success',
  'login_failure',
  'login_throttled',
  'registration_throttled',
  'logout',
  'session_revoked',
  'family_revoked',
  'user_revoked',
  'refresh_reuse_detected',
  'password_changed',
  'role_changed',
  'user_disabled',
  'user_enabled',
  'key_rotated',
  'email_changed',
  'email_verified',
  'password_reset_requested',
  'password_reset',
  'mfa_enrolled',
  'mfa_removed',
  'mfa_failure',
  'recovery_codes_generated',
  'passkey_added',
  'passkey_removed',
  'factors_reset',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditEntry {
  at: number;
  event: AuditEvent;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
}

export interface StoredAuditEntry extends AuditEntry {
  seq: number;
  /** SHA-256 over the previous entry's hash and this entry (hex). */
  hash: string;
}
