import { DAY, SECOND } from './clock.js';

/** Seconds of clock skew allowed when checking `exp`, `nbf` and `iat`. */
export const LEEWAY_SECONDS = 5;
/** API.md, "Credentials": the leeway is at most 30 s, whatever a verifier is configured with. */
export const MAX_LEEWAY_SECONDS = 30;

export const boundedLeeway = (seconds: number): number => Math.min(Math.max(0, seconds), MAX_LEEWAY_SECONDS);

/** How often an instance re-reads the signing keys, to see a rotation made elsewhere. */
export const KEY_RELOAD_MS = 30 * SECOND;

/** How long a verifier may cache the JWKS (its `Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 60;

/**
 * How long a new key is published before it signs: every instance has re-read the keys (one reload),
 * then every cached copy of the JWKS without it has expired (its max-age), plus a margin for clocks.
 */
export const KEY_PUBLISH_AHEAD_MS = KEY_RELOAD_MS + JWKS_MAX_AGE_SECONDS * SECOND + 10 * SECOND;

/** Records and tombstones stay this long past their end, so that "expired" and "revoked" stay exact. */
export const RECORD_RETENTION_MS = DAY;

/**
 * Every duration derived from the access-token lifetime, computed here once. An access token lives
 * `accessTtlMs`, and a verifier accepts it `leeway` longer; everything that must outlive the tokens in
 * flight is measured from that.
 */
export interface Lifetimes {
  accessTtlMs: number;
  leewaySeconds: number;
  /** The longest a token stays acceptable after it was issued: its lifetime plus the leeway. */
  tokenInFlightMs: number;
  /** How long a deny-view entry matters: a revocation can refuse nothing older than this. */
  revocationRetainMs: number;
  /**
   * How long a retired key stays in the JWKS: until the last token it signed has expired, plus one
   * key reload, since another instance may sign with it until it re-reads the keys.
   */
  keyRetainMs: number;
  /** How long the revocation log (and the Redis Stream) keeps events: at least a day. */
  logRetainMs: number;
}

export function lifetimes(accessTtlMs: number, leewaySeconds = LEEWAY_SECONDS): Readonly<Lifetimes> {
  const leeway = boundedLeeway(leewaySeconds);
  const tokenInFlightMs = accessTtlMs + leeway * SECOND;
  return Object.freeze({
    accessTtlMs,
    leewaySeconds: leeway,
    tokenInFlightMs,
    revocationRetainMs: tokenInFlightMs,
    keyRetainMs: tokenInFlightMs + KEY_RELOAD_MS,
    logRetainMs: Math.max(DAY, tokenInFlightMs),
  });
}

/** Where a starting instance or verifier replays the log from: whatever may still refuse a token in flight. */
export const replayStart = (now: number, life: Lifetimes): number => now - life.revocationRetainMs;
