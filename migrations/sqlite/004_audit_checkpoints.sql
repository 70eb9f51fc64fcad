-- Signed checkpoints of the audit chain's head: copies kept here, and exported for safekeeping elsewhere.

CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  file TEXT NOT NULL
);
