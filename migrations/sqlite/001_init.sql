-- Times are epoch milliseconds; secrets are stored only as SHA-256 digests.
-- One statement per semicolon-terminated line end: the migration runner splits on it.

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  tokens_not_before INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  idle_timeout_ms INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  remember INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, created_at);

CREATE TABLE families (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  secret_hash BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER NOT NULL,
  idle_timeout_ms INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  transport TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT
);

CREATE INDEX families_by_user ON families (user_id, created_at);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT,
  private_jwk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);

CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  hits INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  last_at INTEGER NOT NULL
);

CREATE INDEX rate_limits_by_end ON rate_limits (window_end);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  user_id TEXT,
  ip TEXT,
  user_agent TEXT,
  reason TEXT,
  hash TEXT NOT NULL
);

-- AUTOINCREMENT: a trimmed log must never hand out a sequence number again, or followers would skip it.
CREATE TABLE revocations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  sid TEXT,
  user_id TEXT NOT NULL,
  not_before INTEGER
);

CREATE INDEX revocations_by_time ON revocations (at);
