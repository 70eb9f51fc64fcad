-- Times are epoch milliseconds; secrets are stored only as SHA-256 digests.
-- Ids use COLLATE "C" so that they sort by bytes, as in SQLite and in memory.
-- One statement per semicolon-terminated line end: the migration runner splits on it.

CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT COLLATE "C" NOT NULL UNIQUE,
  role TEXT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  tokens_not_before BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL,
  secret_hash BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  idle_timeout_ms BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  remember BOOLEAN NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, created_at);

CREATE TABLE families (
  id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL,
  generation INTEGER NOT NULL,
  secret_hash BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  rotated_at BIGINT NOT NULL,
  idle_timeout_ms BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  transport TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);

CREATE INDEX families_by_user ON families (user_id, created_at);

CREATE TABLE signing_keys (
  kid TEXT COLLATE "C" PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT,
  private_jwk TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);

CREATE TABLE server_secrets (
  name TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE rate_limits (
  key TEXT COLLATE "C" PRIMARY KEY,
  hits INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  last_at BIGINT NOT NULL
);

CREATE INDEX rate_limits_by_end ON rate_limits (window_end);

CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  event TEXT NOT NULL,
  user_id TEXT,
  ip TEXT,
  user_agent TEXT,
  reason TEXT,
  hash TEXT NOT NULL
);

CREATE TABLE revocations (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  sid TEXT,
  user_id TEXT NOT NULL,
  not_before BIGINT
);

CREATE INDEX revocations_by_time ON revocations (at);
