import type { Clock } from './clock.js';
import { toSeconds } from './clock.js';
import { digestsEqual, parseCredential, randomToken, sha256 } from './crypto.js';
import { AuthError } from './errors.js';
import type { Keyring } from './keyring.js';
import { type Authentication, type ClientInfo, type TokenFamily, type Transport, type User, endedByUser, familyIdleEnd } from './model.js';
import type { Outbox } from './outbox.js';
import type { FamilyStore, UserStore } from './ports.js';
import type { Revocations } from './revocations.js';

export interface TokenPolicy {
  issuer: string;
  audience: string;
  /** RFC 9068 §2.2: the client the token was issued to; Tessera's own clients are one. */
  clientId: string;
  accessTtlMs: number;
  refreshIdleMs: number;
  refreshAbsoluteMs: number;
  reuseIntervalMs: number;
  /** Live token families per user; the oldest goes first. */
  cap: number;
}

export interface IssuedTokens {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds until the refresh token's idle or absolute end, whichever is first. */
  refreshExpiresIn: number;
  family: TokenFamily;
  user: User;
}

export const FAMILY_ID_BYTES = 16;
/** A refresh secret is the generation (4 bytes, big-endian) and an HMAC over family and generation. */
const GENERATION_BYTES = 4;
const MAC_BYTES = 32;
export const REFRESH_SECRET_BYTES = GENERATION_BYTES + MAC_BYTES;

/**
 * Access and refresh tokens. Refresh tokens are `familyId.secret` and rotate on every use with one
 * conditional store update (RFC 9700 §4.14.2). Successors are derived, not stored, so that tabs
 * refreshing at once within the reuse interval converge on the same token; any other reuse is theft
 * and revokes the family.
 */
export class Tokens {
  readonly #families: FamilyStore;
  readonly #users: UserStore;
  readonly #keyring: Keyring;
  readonly #revocations: Revocations;
  readonly #outbox: Outbox;
  readonly #clock: Clock;
  readonly #policy: TokenPolicy;

  constructor(deps: {
    families: FamilyStore;
    users: UserStore;
    keyring: Keyring;
    revocations: Revocations;
    outbox: Outbox;
    clock: Clock;
    policy: TokenPolicy;
  }) {
    this.#families = deps.families;
    this.#users = deps.users;
    this.#keyring = deps.keyring;
    this.#revocations = deps.revocations;
    this.#outbox = deps.outbox;
    this.#clock = deps.clock;
    this.#policy = deps.policy;
  }

  /**
   * Starts a new token family for a user who just proved their password, and ends the owner's oldest
   * families beyond the cap, in one change.
   */
  async issue(user: User, transport: Transport, auth: Authentication, client: ClientInfo): Promise<IssuedTokens> {
    const now = this.#clock.now();
    const id = randomToken(FAMILY_ID_BYTES);
    const secret = this.#secret(id, 0);
    const family: TokenFamily = {
      id,
      userId: user.id,
      amr: auth.amr,
      authTime: auth.authTime,
      generation: 0,
      secretHash: sha256(secret),
      createdAt: now,
      rotatedAt: now,
      idleTimeoutMs: this.#policy.refreshIdleMs,
      expiresAt: now + this.#policy.refreshAbsoluteMs,
      transport,
      ip: client.ip,
      userAgent: client.userAgent,
      revokedAt: null,
      revokeReason: null,
    };
    await this.#outbox.commit(async (change) => {
      for (const old of await change.families.createFamily(family, this.#policy.cap, now)) await change.endFamily(old, 'evicted', client);
    });
    return this.#pair(user, family, secret, now);
  }

  /**
   * Spends a refresh token for a new pair. Throws `invalid_token`, `token_expired`, `token_revoked`,
   * or `refresh_token_reused` (after revoking the family).
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    this.#revocations.assertFresh();
    const presented = this.#parse(refreshToken);
    if (!presented) throw new AuthError('invalid_token', { detail: 'the refresh token is malformed' });
    const { id, generation, secret } = presented;
    let family = await this.#families.getFamily(id);
    if (!family) throw new AuthError('invalid_token');
    const user = await this.#liveOwner(family);
    const now = this.#clock.now();
    if (generation === family.generation && digestsEqual(sha256(secret), family.secretHash)) {
      const next = this.#secret(id, generation + 1);
      const rotated = await this.#families.rotateFamily(id, generation, sha256(next), now);
      if (rotated) return this.#pair(user, rotated, next, now);
      // Another request rotated it first: fall through as the predecessor of the new current token.
      family = await this.#families.getFamily(id);
      if (!family) throw new AuthError('invalid_token');
      await this.#liveOwner(family);
    }
    // RFC 9700 §4.14.2: the immediate predecessor, within the reuse interval, converges on the current token.
    if (generation === family.generation - 1 && now - family.rotatedAt <= this.#policy.reuseIntervalMs) {
      return this.#pair(user, family, this.#secret(id, family.generation), now);
    }
    if (generation < family.generation) {
      const { userId, generation: current } = family;
      await this.#outbox.commit(async (change) => {
        await change.endFamily(id, 'refresh_token_reused', client);
        change.audit('refresh_reuse_detected', userId, client, `generation ${generation} of ${current}`);
      });
      throw new AuthError('refresh_token_reused', { detail: 'a spent refresh token was presented; its family is revoked' });
    }
    throw new AuthError('invalid_token');
  }

  /** The owner of a family that may still be used; throws for a revoked, expired or disabled one. */
  async #liveOwner(family: TokenFamily): Promise<User> {
    if (family.revokedAt !== null) throw new AuthError('token_revoked');
    const now = this.#clock.now();
    if (now >= family.expiresAt || now >= familyIdleEnd(family)) throw new AuthError('token_expired');
    const user = await this.#users.findUserById(family.userId);
    if (!user || user.disabled) throw new AuthError('token_revoked', { detail: 'the account is disabled' });
    if (endedByUser(user, family.createdAt)) throw new AuthError('token_revoked');
    return user;
  }

  /** Ends a family everywhere, its access tokens included; true when it was live. */
  revokeFamily(id: string, reason: string, client: ClientInfo | null): Promise<boolean> {
    return this.#outbox.commit((change) => change.endFamily(id, reason, client));
  }

  /**
   * The family a genuine refresh token belongs to, spent or not; null for anything else. Knowing a
   * family's public id is not enough to revoke it (RFC 7009 §2.1: the token itself is presented).
   */
  familyOfRefreshToken(token: string): string | null {
    return this.#parse(token)?.id ?? null;
  }

  list(userId: string): Promise<TokenFamily[]> {
    return this.#families.listFamilies(userId, this.#clock.now());
  }

  /** Parses `familyId.secret` and proves the secret was minted here (its MAC), whatever its generation. */
  #parse(token: string): { id: string; generation: number; secret: Buffer } | null {
    const credential = parseCredential(token, FAMILY_ID_BYTES, REFRESH_SECRET_BYTES);
    if (!credential) return null;
    const generation = credential.secret.readUInt32BE(0);
    if (!digestsEqual(credential.secret, this.#secret(credential.id, generation))) return null;
    return { id: credential.id, generation, secret: credential.secret };
  }

  #secret(familyId: string, generation: number): Buffer {
    const prefix = Buffer.alloc(GENERATION_BYTES);
    prefix.writeUInt32BE(generation);
    return Buffer.concat([prefix, this.#keyring.derive(`refresh:${familyId}:${generation}`)]);
  }

  async #pair(user: User, family: TokenFamily, secret: Buffer, now: number): Promise<IssuedTokens> {
    const nowSeconds = toSeconds(now);
    // A token minted after a demotion must outlive the user's not-before, even within the same second.
    const iat = Math.max(nowSeconds, user.tokensNotBefore, this.#revocations.deny.notBefore(user.id));
    const exp = nowSeconds + toSeconds(this.#policy.accessTtlMs);
    const accessToken = await this.#keyring.sign({
      iss: this.#policy.issuer,
      aud: this.#policy.audience,
      sub: user.id,
      client_id: this.#policy.clientId,
      name: user.username,
      role: user.role,
      sid: family.id,
      jti: randomToken(16),
      iat,
      exp,
      amr: family.amr,
      auth_time: toSeconds(family.authTime),
    });
    const refreshEnd = Math.min(family.expiresAt, familyIdleEnd(family));
    return {
      accessToken,
      expiresIn: exp - nowSeconds,
      refreshToken: `${family.id}.${secret.toString('base64url')}`,
      refreshExpiresIn: Math.max(0, toSeconds(refreshEnd - now)),
      family,
      user,
    };
  }
}

