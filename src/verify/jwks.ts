import type { Clock } from '../core/clock.js';
import { SECOND } from '../core/clock.js';
import { JWS_ALGS, type VerifyKey, importVerifyKey } from '../core/jws.js';
import type { SigningAlg } from '../core/model.js';
import type { KeySource } from './tokenVerifier.js';

/**
 * Imports a JSON Web Key Set for verification. Every key must name its `alg` (a key is pinned to one
 * algorithm, RFC 8725 §3.1), be a signing key, and have a `kid` no other key shares: an ambiguous kid
 * is dropped rather than guessed. Symmetric keys are never taken from a key set.
 */
export function importKeySet(set: unknown): Map<string, VerifyKey> {
  const keys = new Map<string, VerifyKey>();
  const seen = new Set<string>();
  const list = typeof set === 'object' && set !== null && Array.isArray((set as { keys?: unknown }).keys) ? (set as { keys: unknown[] }).keys : [];
  for (const jwk of list) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const { kid, alg, kty } = jwk as Record<string, unknown>;
    if (typeof kid !== 'string' || kid.length > 256 || typeof alg !== 'string' || kty === 'oct') continue;
    if (!JWS_ALGS.includes(alg as SigningAlg)) continue;
    if (seen.has(kid)) {
      keys.delete(kid);
      continue;
    }
    seen.add(kid);
    const key = importVerifyKey(jwk as Record<string, unknown>, alg as SigningAlg, kid);
    if (key) keys.set(kid, key);
  }
  return keys;
}

/**
 * Keys fetched from a JWKS URL and cached. An unknown kid triggers a refetch (a rotation may have
 * happened), at most once per `minRefetchMs`, and never more than one fetch at a time.
 */
export class JwksKeySource implements KeySource {
  readonly #url: string;
  readonly #clock: Clock;
  readonly #minRefetchMs: number;
  #keys = new Map<string, VerifyKey>();
  #loaded = false;
  #lastFetch = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<boolean> | null = null;

  constructor(url: string, clock: Clock, minRefetchMs = 10 * SECOND) {
    this.#url = url;
    this.#clock = clock;
    this.#minRefetchMs = minRefetchMs;
  }

  get(kid: string): VerifyKey | undefined {
    return this.#keys.get(kid);
  }

  loaded(): boolean {
    return this.#loaded;
  }

  /** Fetches now, whatever the rate limit; rejects when the key set cannot be had. */
  async load(): Promise<void> {
    this.#lastFetch = this.#clock.now();
    const response = await fetch(this.#url, { signal: AbortSignal.timeout(5 * SECOND), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`JWKS ${this.#url} answered ${response.status}`);
    this.#keys = importKeySet(await response.json());
    this.#loaded = true;
  }

  /**
   * Loads the keys, retrying in the background (every second, then less often, at most every 10 s)
   * until it has them: a service can start while Tessera is down, answer 503 meanwhile, and be ready
   * as soon as Tessera is. Resolves at once; `loaded()` says when the keys are in.
   */
  startLoading(): void {
    const attempt = (delayMs: number): void => {
      this.load().catch(() => {
        if (this.#stopped) return;
        const timer = setTimeout(() => attempt(Math.min(delayMs * 2, 10 * SECOND)), delayMs);
        timer.unref();
        this.#retry = timer;
      });
    };
    attempt(SECOND);
  }

  #stopped = false;
  #retry: NodeJS.Timeout | null = null;

  stop(): void {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
  }

  refresh(): Promise<boolean> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#clock.now() - this.#lastFetch < this.#minRefetchMs) return Promise.resolve(false);
    this.#inFlight = this.load()
      .then(() => true, () => false)
      .finally(() => {
        this.#inFlight = null;
      });
    return this.#inFlight;
  }
}

/** Keys given up front (no fetching). */
export class StaticKeySource implements KeySource {
  readonly #keys: Map<string, VerifyKey>;

  constructor(jwks: { keys: unknown[] }) {
    this.#keys = importKeySet(jwks);
  }

  get(kid: string): VerifyKey | undefined {
    return this.#keys.get(kid);
  }
}
