-- Signed checkpoints of the audit chain's head: copies kept here, and exported for safekeeping elsewhere.

CREATE TABLE audit_checkpoints (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  file TEXT NOT NULL
);
