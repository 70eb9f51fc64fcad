import { type AccessClaims, type ClaimExpectations, checkAccessClaims } from '../core/accessToken.js';
import type { Clock } from '../core/clock.js';
import { toSeconds } from '../core/clock.js';
import { AuthError } from '../core/errors.js';
import { type VerifyKey, parseCompactJws, verifySignature } from '../core/jws.js';
import { LruCache } from '../core/lru.js';
import type { Revocations } from '../core/revocations.js';

/** Where a verifier finds keys: the server's keyring, or a JWKS fetched over HTTP. */
export interface KeySource {
  get(kid: string): VerifyKey | undefined;
  /** Called on an unknown `kid`; resolves true when the keys were re-read (rate-limited by the source). */
  refresh?(): Promise<boolean>;
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
 * Verifies access tokens as strictly as RFC 8725 asks: strict compact parse, `alg` pinned per key,
 * `typ`, `iss`, `aud`, `exp`/`nbf` with bounded leeway, then the deny view. A verified token is cached
 * by its exact string (never by decoded content), until its `exp`, so that the signature is checked
 * once per token, while the deny view is consulted on every use.
 */
export class TokenVerifier {
  readonly #options: TokenVerifierOptions;
  readonly #cache: LruCache<string, AccessClaims> | null;

  constructor(options: TokenVerifierOptions) {
    this.#options = options;
    this.#cache = options.cache === false ? null : new LruCache(options.cacheMax ?? 50_000);
  }

  /** Throws AuthError `invalid_token`, `token_expired`, `token_revoked`, or `unavailable` (stale feed). */
  async verify(token: string): Promise<AccessClaims> {
    const { revocations, clock } = this.#options;
    revocations.assertFresh();
    const now = clock.now();
    const claims = this.#cache?.get(token, now) ?? (await this.#verifyFresh(token, now));
    if (revocations.deny.isDenied(claims.sid, claims.sub, claims.iat)) {
      throw new AuthError('token_revoked');
    }
    return claims;
  }

  async #verifyFresh(token: string, now: number): Promise<AccessClaims> {
    const jws = parseCompactJws(token);
    if (!jws || typeof jws.header.kid !== 'string') throw new AuthError('invalid_token', { detail: 'the token is malformed' });
    const { keys } = this.#options;
    let key = keys.get(jws.header.kid);
    if (!key && keys.refresh && (await keys.refresh())) key = keys.get(jws.header.kid);
    if (!key || !verifySignature(jws, key)) throw new AuthError('invalid_token', { detail: 'the token signature is invalid' });
    const claims = checkAccessClaims(jws, this.#options, toSeconds(now));
    if (typeof claims === 'string') throw new AuthError(claims);
    this.#cache?.set(token, claims, (claims.exp + Math.min(this.#options.leeway, 30)) * 1000);
    return claims;
  }
}
