-- The revocation log becomes the transactional outbox: each event says what it revokes, and whether
-- its delivery (a session's tombstone, the push transport) is still owed. Older events were delivered.

ALTER TABLE revocations ADD COLUMN kind TEXT;

ALTER TABLE revocations ADD COLUMN reason TEXT;

ALTER TABLE revocations ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1;

CREATE INDEX revocations_undelivered ON revocations (seq) WHERE delivered = 0;

-- One row that /readyz rewrites: a store that cannot be written (a full disk, a read-only file) is not ready.
CREATE TABLE tessera_probe (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
);

-- Epoch ms: every session and token family created at or before it is dead (a disable, a revoke-all).
ALTER TABLE users ADD COLUMN credentials_not_before INTEGER NOT NULL DEFAULT 0;
