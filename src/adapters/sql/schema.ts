import type { ColumnType, Generated } from 'kysely';

/** The tables as Kysely sees them; migrations/<dialect>/ creates them. Times are epoch milliseconds. */

/** BOOLEAN in PostgreSQL, 0/1 in SQLite: written through `SqlDialect.flag`, read with `Boolean()`. */
export type Flag = ColumnType<boolean | number, boolean | number, boolean | number>;

export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  role: string;
  disabled: Flag;
  password_hash: string;
  created_at: number;
  tokens_not_before: number;
  credentials_not_before: number;
  email: string | null;
  email_key: string | null;
  email_verified: Flag;
}

interface CredentialColumns {
  id: string;
  user_id: string;
  secret_hash: Buffer;
  created_at: number;
  /** Space-separated AuthMethod values. */
  amr: string;
  auth_time: number;
  idle_timeout_ms: number;
  expires_at: number;
  ip: string;
  user_agent: string;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export interface SessionsTable extends CredentialColumns {
  last_seen_at: number;
  remember: Flag;
}

export interface FamiliesTable extends CredentialColumns {
  generation: number;
  rotated_at: number;
  transport: string;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string | null;
  private_jwk: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

export interface ServerSecretsTable {
  name: string;
  value: string;
}

export interface RateLimitsTable {
  key: string;
  hits: number;
  window_start: number;
  /** Kept so that ended windows can be found and deleted without knowing their length. */
  window_end: number;
  last_at: number;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  event: string;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
  hash: string;
}

export interface AuditCheckpointsTable {
  seq: number;
  at: number;
  file: string;
}

export interface RevocationsTable {
  seq: Generated<number>;
  at: number;
  type: string;
  /** `session` or `family` for a credential event; null in rows older than migration 002. */
  kind: string | null;
  sid: string | null;
  user_id: string;
  reason: string | null;
  not_before: number | null;
  /** False while the event's delivery (effects, transport) is owed. */
  delivered: Flag;
}

export interface ProbeTable {
  id: number;
  at: number;
}

export interface AccountTokensTable {
  id: string;
  user_id: string;
  purpose: string;
  secret_hash: Buffer;
  email: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface MailOutboxTable {
  id: Generated<number>;
  kind: string;
  recipient: string | null;
  payload: string;
  created_at: number;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: number;
  sent_at: number | null;
  last_error: string | null;
}

export interface TotpFactorsTable {
  user_id: string;
  secret: string;
  created_at: number;
  confirmed_at: number | null;
  last_step: number;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: number | null;
}

export interface PasskeysTable {
  id: string;
  user_id: string;
  public_key: string;
  counter: number;
  /** JSON array. */
  transports: string;
  device_type: string;
  backed_up: Flag;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface ChallengesTable {
  id: string;
  user_id: string | null;
  purpose: string;
  secret_hash: Buffer;
  data: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface MigrationsTable {
  name: string;
  applied_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  families: FamiliesTable;
  signing_keys: SigningKeysTable;
  server_secrets: ServerSecretsTable;
  rate_limits: RateLimitsTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
  revocations: RevocationsTable;
  tessera_probe: ProbeTable;
  account_tokens: AccountTokensTable;
  mail_outbox: MailOutboxTable;
  totp_factors: TotpFactorsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  challenges: ChallengesTable;
  tessera_migrations: MigrationsTable;
}
