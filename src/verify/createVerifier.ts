import type { AccessClaims } from '../core/accessToken.js';
import type { Clock } from '../core/clock.js';
import { SECOND, systemClock } from '../core/clock.js';
import type { EventBus, Subscription } from '../core/ports.js';
import { lifetimes, replayStart } from '../core/lifetimes.js';
import { Revocations } from '../core/revocations.js';
import { HttpFeed } from './httpFeed.js';
import { JwksKeySource, StaticKeySource } from './jwks.js';
import { type KeySource, TokenVerifier } from '../core/tokenVerifier.js';

export type RevocationSource =
  /** Follow the Redis stream the Tessera servers write (TESSERA_REDIS_URL, TESSERA_REDIS_PREFIX). */
  | { redisUrl: string; prefix?: string }
  | { redisCluster: string[]; prefix?: string }
  /** Follow `GET /v1/revocations` of a Tessera server, with TESSERA_FEED_SECRET. */
  | { pollUrl: string; secret: string };

export interface VerifierOptions {
  /** The `iss` Tessera signs with (TESSERA_ISSUER). */
  issuer: string;
  /** The `aud` Tessera signs with (TESSERA_AUDIENCE, default "tessera"). */
  audience: string;
  /** Where the public keys are; default `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Or the keys themselves. */
  keys?: { keys: unknown[] };
  revocation: RevocationSource;
  /** Seconds without the feed before every check fails closed (default 10, as TESSERA_REVOCATION_MAX_STALENESS). */
  maxStalenessSeconds?: number;
  /** The longest access-token lifetime the servers issue, in seconds (default 900, TESSERA_ACCESS_TTL). */
  maxTokenLifetimeSeconds?: number;
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 5, at most 30). */
  leewaySeconds?: number;
  /** Cache verified tokens by their exact string (default true). */
  cache?: boolean;
  clock?: Clock;
}

export interface Verifier {
  /**
   * Resolves the claims of a valid, unrevoked access token. Rejects with an AuthError whose `code` is
   * `invalid_token`, `token_expired`, `token_revoked`, or `unavailable` (the feed is stale: fail closed).
   */
  verify(token: string): Promise<AccessClaims>;
  /** True while the revocation feed is fresh. */
  isFresh(): boolean;
  /** True once the keys are loaded and while the feed is fresh: the service can vouch for tokens. */
  isReady(): boolean;
  close(): Promise<void>;
}

async function feedOf(source: RevocationSource, clock: Clock, retainMs: number): Promise<{ feed: Pick<EventBus, 'subscribe'>; close(): Promise<void> }> {
  if ('pollUrl' in source) return { feed: new HttpFeed(source.pollUrl, source.secret, clock), close: async () => undefined };
  const { openRedisFeed } = await import('../adapters/redis/index.js');
  return openRedisFeed('redisUrl' in source ? source.redisUrl : { cluster: source.redisCluster }, { clock, prefix: source.prefix ?? 'tessera:', retainMs });
}

/**
 * The verifier other services import to check Tessera's access tokens: signature and claims as
 * strictly as the server checks them, keys from the JWKS, and the deny view fed by the revocation
 * feed, so that a revoked token is refused within a second with no store look-up per request.
 * Resolves once the feed has replayed (or after 5 s, failing closed), even while Tessera is down: until
 * the keys and the feed are in, every check answers 503 with Retry-After, and `isReady()` says false.
 */
export async function createVerifier(options: VerifierOptions): Promise<Verifier> {
  const clock = options.clock ?? systemClock;
  const life = lifetimes((options.maxTokenLifetimeSeconds ?? 900) * SECOND, options.leewaySeconds);
  const leeway = life.leewaySeconds;
  const retainMs = life.revocationRetainMs;
  let keys: KeySource;
  let jwks: JwksKeySource | null = null;
  if (options.keys) {
    keys = new StaticKeySource(options.keys);
  } else {
    // Tessera may be down while this service starts: it answers 503 until the keys are in.
    jwks = new JwksKeySource(options.jwksUrl ?? `${options.issuer.replace(/\/$/, '')}/.well-known/jwks.json`, clock);
    jwks.startLoading();
    keys = jwks;
  }
  const revocations = new Revocations({ clock, maxStalenessMs: (options.maxStalenessSeconds ?? 10) * SECOND, retainMs });
  const { feed, close } = await feedOf(options.revocation, clock, retainMs);
  let subscription: Subscription | null = null;
  await new Promise<void>((resolve) => {
    // Held (not unref'd): while Tessera is down, this wait may be all that keeps a starting service alive.
    const timer = setTimeout(resolve, 5 * SECOND);
    const ready = (): void => {
      clearTimeout(timer);
      resolve();
    };
    subscription = feed.subscribe(
      { onEvent: (message) => revocations.onEvent(message), onHeartbeat: (at) => (revocations.onHeartbeat(at), ready()) },
      { sinceTime: replayStart(clock.now(), life) },
    );
  });
  const verifier = new TokenVerifier({ issuer: options.issuer, audience: options.audience, leeway, keys, revocations, clock, cache: options.cache ?? true });
  return {
    verify: (token) => verifier.verify(token),
    isFresh: () => revocations.isFresh(),
    isReady: () => keys.loaded?.() !== false && revocations.isFresh(),
    close: async () => {
      jwks?.stop();
      await (subscription as Subscription | null)?.close();
      await close();
    },
  };
}
