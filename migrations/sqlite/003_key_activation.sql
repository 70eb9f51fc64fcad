-- A rotated key is published in the JWKS before it signs (the JWKS cache lifetime plus a reload and a
-- margin), so that a verifier that honours HTTP caching never meets a token whose key it has not seen.

ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;

UPDATE signing_keys SET activates_at = created_at;
