import { type AccessClaims, type ClaimExpectations, checkAccessClaims } from './accessToken.js';
import type { Clock } from './clock.js';
import { toSeconds } from './clock.js';
import { AuthError } from './errors.js';
import { type CompactJws, type VerifyKey, parseCompactJws, verifySignature } from './jws.js';
import { boundedLeeway } from './lifetimes.js';
import { LruCache } from './lru.js';
import type { Revocations } from './revocations.js';

/** Where a verifier finds keys: the server's keyring, or a JWKS fetched over HTTP. */
export interface KeySource {
  get(kid: string): VerifyKey | undefined;
  /** Called on an unknown `kid`; resolves true when the keys were re-read (rate-limited by the source). */
  refresh?(): Promise<boolean>;
  /** False until the keys have been had once (a JWKS not fetched yet): an unknown kid is then 503, not 401. */
  loaded?(): boolean;
}

export interface TokenVerifierOptions extends ClaimExpectations {
  keys: KeySource;
  revocations: Revocations;
  clock: Clock;
  /** Cache verified tokens by their exact string (default true). */
  cache?: boolean;
  cacheMax?: number;
}

/**
 * The verified-token cache's key: the token's last 22 characters, 128 bits of its signature. An entry
 * also holds the whole token, and a hit needs it to be equal, so the cache is keyed by the exact token
 * string (never by decoded content); a look-up only hashes 22 characters instead of ~450 (issue 6).
 */
const cacheKey = (token: string): string => token.slice(-22);

/**
 * Verifies access tokens as strictly as RFC 8725 asks: strict compact parse, `alg` pinned per key,
 * `typ`, `iss`, `aud`, `exp`/`nbf` with bounded leeway, then the deny view. A verified token is cached
 * by its exact string (never by decoded content), until its `exp`, so that the signature is checked
 * once per token, while the deny view is consulted on every use.
 */
export class TokenVerifier {
  readonly #options: TokenVerifierOptions;
  readonly #cache: LruCache<string, { token: string; claims: AccessClaims }> | null;

  constructor(options: TokenVerifierOptions) {
    this.#options = options;
    this.#cache = options.cache === false ? null : new LruCache(options.cacheMax ?? 50_000);
  }

  /**
   * Throws AuthError `invalid_token`, `token_expired`, `token_revoked`, or `unavailable` (stale feed).
   * One rule for every token: a token verified before answers at once from the cache (a value, no
   * promise), checked against the deny view now; any other is verified in full, which may wait.
   */
  check(token: string): AccessClaims | Promise<AccessClaims> {
    this.#options.revocations.assertFresh();
    const cached = this.#cache?.get(cacheKey(token), this.#options.clock.now());
    return cached !== undefined && cached.token === token ? this.#notDenied(cached.claims) : this.#verifyInFull(token);
  }

  /** check(), always as a promise (the library's API). */
  async verify(token: string): Promise<AccessClaims> {
    return this.check(token);
  }

  /**
   * The strict parse, the key the token names (re-read once, rate-limited by the source, when unknown),
   * the signature off the event loop, then the claims; caches the claims until `exp`.
   */
  async #verifyInFull(token: string): Promise<AccessClaims> {
    const { jws, kid } = this.#parse(token);
    const { keys } = this.#options;
    const key = keys.get(kid) ?? (keys.refresh && (await keys.refresh()) ? keys.get(kid) : undefined);
    if (!key && keys.loaded?.() === false) throw new AuthError('unavailable', { detail: 'the signing keys are not loaded yet', retryAfter: 1 });
    if (!key || !(await verifySignature(jws, key))) throw new AuthError('invalid_token', { detail: 'the token signature is invalid' });
    const claims = checkAccessClaims(jws, this.#options, toSeconds(this.#options.clock.now()));
    if (typeof claims === 'string') throw new AuthError(claims);
    this.#cache?.set(cacheKey(token), { token, claims }, (claims.exp + boundedLeeway(this.#options.leeway)) * 1000);
    return this.#notDenied(claims);
  }

  /** The strict structural parse (RFC 7515 §7.1): a token that fails it is never looked up further. */
  #parse(token: string): { jws: CompactJws; kid: string } {
    const jws = parseCompactJws(token);
    if (!jws || typeof jws.header.kid !== 'string') throw new AuthError('invalid_token', { detail: 'the token is malformed' });
    return { jws, kid: jws.header.kid };
  }

  /** The deny view is consulted on every use, cached or not (DESIGN.md). */
  #notDenied(claims: AccessClaims): AccessClaims {
    if (this.#options.revocations.deny.isDenied(claims.sid, claims.sub, claims.iat)) throw new AuthError('token_revoked');
    return claims;
  }
}
