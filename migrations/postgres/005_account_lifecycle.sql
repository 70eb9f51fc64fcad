-- Account lifecycle (issue 13): an optional e-mail address per user, single-use tokens for its
-- verification and for password resets, a durable mail queue, second factors, and how each
-- credential was authenticated (amr, auth_time).

ALTER TABLE users ADD COLUMN email TEXT;

ALTER TABLE users ADD COLUMN email_key TEXT;

ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;

-- Unique among verified addresses only: an unverified one proves nothing, and may be anyone's typo.
CREATE UNIQUE INDEX users_verified_email ON users (email_key) WHERE email_verified = TRUE;

CREATE TABLE account_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  secret_hash BYTEA NOT NULL,
  email TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);

CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);

-- A job is a mail ready to send, or a reset request the worker resolves (the same work for every answer).
CREATE TABLE mail_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  recipient TEXT,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  sent_at BIGINT,
  last_error TEXT
);

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE totp_factors (
  user_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  confirmed_at BIGINT,
  last_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  used_at BIGINT,
  PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  counter BIGINT NOT NULL,
  transports TEXT NOT NULL,
  device_type TEXT NOT NULL,
  backed_up BOOLEAN NOT NULL DEFAULT FALSE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);

CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- Short-lived, single-use ceremonies: an MFA challenge after a password, a WebAuthn challenge.
CREATE TABLE challenges (
  id TEXT PRIMARY KEY,
  user_id TEXT,
  purpose TEXT NOT NULL,
  secret_hash BYTEA NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);

ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;

ALTER TABLE families ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

ALTER TABLE families ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
