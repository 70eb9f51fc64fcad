import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { randomInt } from 'node:crypto';
import type { Clock } from './clock.js';
import { MINUTE, toIso } from './clock.js';
import { digestsEqual, hmac, parseCredential, randomToken, sha256 } from './crypto.js';
import { AuthError } from './errors.js';
import type { Challenge, ChallengePurpose, ChallengeStore, FactorStore, Passkey } from './lifecyclePorts.js';
import type { AuthMethod, Authentication, ClientInfo, User } from './model.js';
import type { Change, Outbox } from './outbox.js';
import { openWithKey, sealWithKey } from './sealing.js';
import type { Throttle } from './throttle.js';

export const MFA_CHALLENGE_TTL_MS = 5 * MINUTE;
const CEREMONY_TTL_MS = 5 * MINUTE;
/** A password or factor change needs an authentication at most this old (ASVS 5.0 V6.1.3, V7.5.1). */
export const REAUTH_WINDOW_MS = 10 * MINUTE;
export const RECOVERY_CODE_COUNT = 10;
const CHALLENGE_ID_BYTES = 16;
const CHALLENGE_SECRET_BYTES = 32;
const TOTP_PERIOD_S = 30;
/** 32 letters and digits without look-alikes: 10 of them carry 50 bits. */
const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const PASSKEY_NAME_MAX = 64;

export interface WebAuthnSettings {
  rpId: string;
  rpName: string;
  origins: readonly string[];
}

/** How the second step proves the second factor. */
export type SecondFactorProof = { code: string } | { recoveryCode: string } | { passkey: AuthenticationResponseJSON };

/** What a password login that needs a second factor answers with: neither a session nor a token. */
export interface MfaChallenge {
  challenge: string;
  methods: ('totp' | 'recovery_code' | 'passkey')[];
  expiresAt: number;
}

/** What the first step remembers for the second: the scheme it asked for, and its options. */
export type LoginIntent = { scheme: 'session'; remember: boolean } | { scheme: 'tokens'; transport: 'body' | 'cookie' };

export interface FactorStatus {
  totp: 'none' | 'pending' | 'enabled';
  passkeys: Passkey[];
  recoveryCodes: number;
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
  qrSvg: string;
}

const invalidChallenge = (): AuthError => new AuthError('invalid_token', { detail: 'the challenge is invalid, expired or already used' });
const wrongFactor = (): AuthError => new AuthError('invalid_credentials', { detail: 'the second factor was not accepted' });
const badInput = (field: string, code: string, message: string): AuthError =>
  new AuthError('validation_failed', { detail: `${field} ${message}`, errors: [{ field, code, message }] });

/** RFC 8176 values for a passkey: bound to one device (hwk) or synced (swk); with user verification, it is two factors. */
const passkeyAmr = (key: Passkey, userVerified: boolean): AuthMethod[] => [key.deviceType === 'singleDevice' ? 'hwk' : 'swk', ...(userVerified ? (['mfa'] as const) : [])];

/**
 * Second factors and passkeys: TOTP (RFC 6238) with recovery codes, WebAuthn passkeys as a second
 * factor or alone, the single-use MFA challenge between a password and its second factor, and the
 * step-up rule. Secrets are sealed at rest; codes and challenges are kept only as digests.
 */
export class Factors {
  readonly #store: FactorStore;
  readonly #challenges: ChallengeStore;
  readonly #outbox: Outbox;
  readonly #throttle: Throttle;
  readonly #clock: Clock;
  readonly #derive: (purpose: string) => Buffer;
  readonly #webauthn: WebAuthnSettings;

  constructor(deps: { store: FactorStore; challenges: ChallengeStore; outbox: Outbox; throttle: Throttle; clock: Clock; derive: (purpose: string) => Buffer; webauthn: WebAuthnSettings }) {
    this.#store = deps.store;
    this.#challenges = deps.challenges;
    this.#outbox = deps.outbox;
    this.#throttle = deps.throttle;
    this.#clock = deps.clock;
    this.#derive = deps.derive;
    this.#webauthn = deps.webauthn;
  }

  async status(userId: string): Promise<FactorStatus> {
    const [totp, passkeys, recoveryCodes] = await Promise.all([this.#store.getTotp(userId), this.#store.listPasskeys(userId), this.#store.countRecoveryCodes(userId)]);
    return { totp: totp === null ? 'none' : totp.confirmedAt === null ? 'pending' : 'enabled', passkeys, recoveryCodes };
  }

  /** True when a password alone no longer signs the user in: a confirmed TOTP factor or a passkey. */
  required(userId: string): Promise<boolean> {
    return this.#store.hasSecondFactor(userId);
  }

  /**
   * Step-up: throws `reauthentication_required` unless the credential authenticated within the window,
   * with a second factor when the account has one.
   */
  async assertRecent(userId: string, auth: Authentication): Promise<void> {
    if (this.#clock.now() - auth.authTime > REAUTH_WINDOW_MS) {
      throw new AuthError('reauthentication_required', { detail: `this needs a sign-in within the last ${REAUTH_WINDOW_MS / MINUTE} minutes` });
    }
    if (!auth.amr.includes('mfa') && (await this.required(userId))) {
      throw new AuthError('reauthentication_required', { detail: 'this needs a sign-in with your second factor' });
    }
  }

  // TOTP and recovery codes.

  /** Starts (or restarts) a TOTP enrolment: unconfirmed until `confirmTotp`. Refused while one is enabled. */
  async enrolTotp(user: User, label: string): Promise<TotpEnrolment> {
    if ((await this.#store.getTotp(user.id))?.confirmedAt != null) throw badInput('totp', 'already_enabled', 'is already enabled; remove it first');
    const secret = new Secret({ size: 20 });
    await this.#store.saveTotp({ userId: user.id, secret: this.#seal(user.id, secret.base32), createdAt: this.#clock.now(), confirmedAt: null, lastStep: 0 });
    const uri = this.#totp(label, user.username, secret.base32).toString();
    return { secret: secret.base32, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1 }) };
  }

  /** Confirms the enrolment with a first code; returns the recovery codes, shown once. */
  async confirmTotp(user: User, code: string, client: ClientInfo): Promise<string[]> {
    const factor = await this.#store.getTotp(user.id);
    if (!factor || factor.confirmedAt !== null) throw badInput('code', 'no_enrolment', 'has no TOTP enrolment waiting for it');
    await this.#guarded(user, client, 'totp confirmation', () => this.#checkTotp(user.id, factor.secret, code));
    return this.#outbox.commit(async (change) => {
      await change.factors.confirmTotp(user.id, change.now);
      change.audit('mfa_enrolled', user.id, client, 'totp');
      await this.#notify(change, user, 'added', 'An authenticator app');
      return this.#newRecoveryCodes(change, user.id);
    });
  }

  async removeTotp(user: User, client: ClientInfo): Promise<boolean> {
    return this.#outbox.commit(async (change) => {
      if (!(await change.factors.deleteTotp(user.id))) return false;
      if ((await change.factors.listPasskeys(user.id)).length === 0) await change.factors.replaceRecoveryCodes(user.id, []);
      change.audit('mfa_removed', user.id, client, 'totp');
      await this.#notify(change, user, 'removed', 'The authenticator app');
      return true;
    });
  }

  /** New recovery codes, replacing the old ones; needs a second factor to recover. */
  async regenerateRecoveryCodes(user: User, client: ClientInfo): Promise<string[]> {
    if (!(await this.required(user.id))) throw badInput('recoveryCodes', 'no_second_factor', 'need a second factor enrolled first');
    return this.#outbox.commit(async (change) => {
      change.audit('recovery_codes_generated', user.id, client);
      return this.#newRecoveryCodes(change, user.id);
    });
  }

  async #newRecoveryCodes(change: Change, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = Array.from({ length: 10 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
      return `${raw.slice(0, 5)}-${raw.slice(5)}`;
    });
    await change.factors.replaceRecoveryCodes(userId, codes.map((code) => this.#codeHash(userId, code)));
    return codes;
  }

  /** Keyed by a server-derived key: a copied table alone cannot be searched for the 50-bit codes. */
  #codeHash(userId: string, code: string): string {
    return hmac(this.#derive('recovery-codes'), `${userId}:${code.toLowerCase().replace(/[\s-]/g, '')}`).toString('hex');
  }

  async #checkTotp(userId: string, sealed: string, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code)) return false;
    const now = this.#clock.now();
    const delta = this.#totp('', '', this.#open(userId, sealed)).validate({ token: code, timestamp: now, window: 1 });
    // RFC 6238 §5.2: a code is accepted once; the step it belongs to (and every earlier one) is spent.
    return delta !== null && this.#store.useTotpStep(userId, Math.floor(now / 1000 / TOTP_PERIOD_S) + delta);
  }

  #totp(issuer: string, label: string, base32: string): TOTP {
    return new TOTP({ issuer, label, secret: Secret.fromBase32(base32), algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_S });
  }

  #seal(userId: string, secret: string): string {
    return sealWithKey(secret, this.#derive('totp-secrets'), userId);
  }

  #open(userId: string, sealed: string): string {
    return openWithKey(sealed, this.#derive('totp-secrets'), userId);
  }

  // Passkeys.

  async passkeyRegistrationOptions(user: User): Promise<{ ceremony: string; options: Awaited<ReturnType<typeof generateRegistrationOptions>> }> {
    const existing = await this.#store.listPasskeys(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.#webauthn.rpName,
      rpID: this.#webauthn.rpId,
      userName: user.username,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((key) => ({ id: key.id, transports: key.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const ceremony = await this.#newChallenge('webauthn_register', user.id, { challenge: options.challenge }, CEREMONY_TTL_MS);
    return { ceremony, options };
  }

  async addPasskey(user: User, ceremony: string, response: RegistrationResponseJSON, name: string | undefined, client: ClientInfo): Promise<Passkey> {
    const challenge = await this.#spend(ceremony, 'webauthn_register');
    if (challenge.userId !== user.id) throw invalidChallenge();
    const { challenge: expected } = JSON.parse(challenge.data) as { challenge: string };
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: expected,
      expectedOrigin: [...this.#webauthn.origins],
      expectedRPID: this.#webauthn.rpId,
      requireUserVerification: false,
    }).catch((error: unknown) => {
      throw badInput('response', 'not_verified', `was not accepted: ${error instanceof Error ? error.message : 'invalid'}`);
    });
    if (!result.verified) throw badInput('response', 'not_verified', 'was not accepted');
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    const now = this.#clock.now();
    const passkey: Passkey = {
      id: credential.id,
      userId: user.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: this.#passkeyName(name, now),
      createdAt: now,
      lastUsedAt: null,
    };
    await this.#outbox.commit(async (change) => {
      await change.factors.addPasskey(passkey);
      change.audit('passkey_added', user.id, client, passkey.name);
      await this.#notify(change, user, 'added', `A passkey (${passkey.name})`);
    });
    return passkey;
  }

  listPasskeys(userId: string): Promise<Passkey[]> {
    return this.#store.listPasskeys(userId);
  }

  renamePasskey(userId: string, id: string, name: string): Promise<boolean> {
    return this.#store.renamePasskey(id, userId, this.#passkeyName(name, this.#clock.now()));
  }

  async deletePasskey(user: User, id: string, client: ClientInfo): Promise<boolean> {
    return this.#outbox.commit(async (change) => {
      const key = (await change.factors.listPasskeys(user.id)).find((k) => k.id === id);
      if (!key || !(await change.factors.deletePasskey(id, user.id))) return false;
      change.audit('passkey_removed', user.id, client, key.name);
      await this.#notify(change, user, 'removed', `A passkey (${key.name})`);
      return true;
    });
  }

  #passkeyName(name: string | undefined, now: number): string {
    const trimmed = name?.normalize('NFKC').trim() ?? '';
    if (trimmed.length > PASSKEY_NAME_MAX || (name !== undefined && !name.isWellFormed())) throw badInput('name', 'invalid', `must be well-formed and at most ${PASSKEY_NAME_MAX} characters`);
    return trimmed === '' ? `Passkey added ${toIso(now).slice(0, 10)}` : trimmed;
  }

  // Logins.

  /** After a correct password: the challenge that the second step turns into a session or tokens. */
  async startMfa(user: User, intent: LoginIntent): Promise<MfaChallenge> {
    const status = await this.status(user.id);
    const methods: MfaChallenge['methods'] = [];
    if (status.totp === 'enabled') methods.push('totp');
    if (status.recoveryCodes > 0) methods.push('recovery_code');
    if (status.passkeys.length > 0) methods.push('passkey');
    const now = this.#clock.now();
    const challenge = await this.#newChallenge('mfa', user.id, { intent, authTime: now }, MFA_CHALLENGE_TTL_MS);
    return { challenge, methods, expiresAt: now + MFA_CHALLENGE_TTL_MS };
  }

  /** Options for a passkey as the second factor of a challenge: only the user's own passkeys. */
  async mfaPasskeyOptions(challenge: string): Promise<Awaited<ReturnType<typeof generateAuthenticationOptions>>> {
    const { record } = await this.#live(challenge, 'mfa');
    const keys = await this.#store.listPasskeys(record.userId ?? '');
    return generateAuthenticationOptions({
      rpID: this.#webauthn.rpId,
      // Bytes: a string challenge would be taken as UTF-8 text and encoded again.
      challenge: new Uint8Array(this.#derive(`webauthn-mfa:${record.id}`)),
      allowCredentials: keys.map((key) => ({ id: key.id, transports: key.transports })),
      userVerification: 'preferred',
    });
  }

  /**
   * The second step: proves the second factor for a live challenge of this scheme, then spends the
   * challenge (single use). Failures count towards the account's throttle, like wrong passwords.
   */
  async completeMfa(challenge: string, scheme: LoginIntent['scheme'], proof: SecondFactorProof, user: (id: string) => Promise<User | null>, client: ClientInfo): Promise<{ user: User; auth: Authentication; intent: LoginIntent }> {
    const { record } = await this.#live(challenge, 'mfa');
    const { intent } = JSON.parse(record.data) as { intent: LoginIntent; authTime: number };
    const owner = record.userId === null ? null : await user(record.userId);
    if (intent.scheme !== scheme || !owner || owner.disabled) throw invalidChallenge();
    const method = await this.#guarded(owner, client, 'second factor', () => this.#prove(owner, record, proof));
    if (!(await this.#challenges.useChallenge(record.id, this.#clock.now()))) throw invalidChallenge();
    return { user: owner, auth: { amr: ['pwd', ...method, 'mfa'], authTime: this.#clock.now() }, intent };
  }

  async #prove(user: User, record: Challenge, proof: SecondFactorProof): Promise<AuthMethod[] | null> {
    if ('code' in proof) {
      const factor = await this.#store.getTotp(user.id);
      return factor?.confirmedAt != null && (await this.#checkTotp(user.id, factor.secret, proof.code)) ? ['otp'] : null;
    }
    if ('recoveryCode' in proof) {
      return (await this.#store.useRecoveryCode(user.id, this.#codeHash(user.id, proof.recoveryCode), this.#clock.now())) ? ['otp'] : null;
    }
    const verified = await this.#verifyPasskey(proof.passkey, this.#mfaWebAuthnChallenge(record.id), user.id);
    return verified && verified.amr.filter((m) => m !== 'mfa');
  }

  /** Options for signing in with a passkey alone: discoverable credentials, no user name. */
  async passkeyLoginOptions(): Promise<{ ceremony: string; options: Awaited<ReturnType<typeof generateAuthenticationOptions>> }> {
    const options = await generateAuthenticationOptions({ rpID: this.#webauthn.rpId, userVerification: 'required' });
    const ceremony = await this.#newChallenge('webauthn_login', null, { challenge: options.challenge }, CEREMONY_TTL_MS);
    return { ceremony, options };
  }

  async passkeyLogin(ceremony: string, response: AuthenticationResponseJSON, user: (id: string) => Promise<User | null>): Promise<{ user: User; auth: Authentication }> {
    const challenge = await this.#spend(ceremony, 'webauthn_login');
    const { challenge: expected } = JSON.parse(challenge.data) as { challenge: string };
    const verified = await this.#verifyPasskey(response, expected, null);
    const owner = verified && (await user(verified.key.userId));
    if (!verified || !owner || owner.disabled) throw new AuthError('invalid_credentials');
    return { user: owner, auth: { amr: verified.amr, authTime: this.#clock.now() } };
  }

  async #verifyPasskey(response: AuthenticationResponseJSON, expectedChallenge: string, userId: string | null): Promise<{ key: Passkey; amr: AuthMethod[] } | null> {
    const key = typeof response?.id === 'string' ? await this.#store.getPasskey(response.id) : null;
    if (!key || (userId !== null && key.userId !== userId)) return null;
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: [...this.#webauthn.origins],
      expectedRPID: this.#webauthn.rpId,
      credential: { id: key.id, publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')), counter: key.counter, transports: key.transports as never },
      requireUserVerification: userId === null,
    }).catch(() => null);
    if (!result?.verified) return null;
    await this.#store.usePasskey(key.id, result.authenticationInfo.newCounter, this.#clock.now());
    return { key, amr: passkeyAmr({ ...key, deviceType: result.authenticationInfo.credentialDeviceType }, result.authenticationInfo.userVerified) };
  }

  /** The WebAuthn challenge of an MFA challenge, derived from it: nothing more to store. */
  #mfaWebAuthnChallenge(challengeId: string): string {
    return this.#derive(`webauthn-mfa:${challengeId}`).toString('base64url');
  }

  /**
   * Runs a second-factor check in the account's throttle queue: a refusal counts as a failed login
   * (so guessing codes meets the same back-off as guessing passwords), and is audited.
   */
  async #guarded<T>(user: User, client: ClientInfo, what: string, check: () => Promise<T | null | false>): Promise<T> {
    const turn = await this.#throttle.checkLogin(user.usernameKey, client.ip);
    try {
      const result = await check();
      if (result === null || result === false) {
        await this.#throttle.recordLoginFailure(user.usernameKey, client.ip);
        await this.#outbox.commit(async (change) => change.audit('mfa_failure', user.id, client, what));
        throw wrongFactor();
      }
      await this.#throttle.recordLoginSuccess(turn);
      return result;
    } finally {
      turn.release();
    }
  }

  // Challenges.

  async #newChallenge(purpose: ChallengePurpose, userId: string | null, data: unknown, ttlMs: number): Promise<string> {
    const id = randomToken(CHALLENGE_ID_BYTES);
    const secret = randomToken(CHALLENGE_SECRET_BYTES);
    const now = this.#clock.now();
    await this.#challenges.createChallenge({ id, userId, purpose, secretHash: sha256(Buffer.from(secret, 'base64url')), data: JSON.stringify(data), createdAt: now, expiresAt: now + ttlMs, usedAt: null });
    return `${id}.${secret}`;
  }

  async #live(presented: string, purpose: ChallengePurpose): Promise<{ record: Challenge }> {
    if (typeof presented !== 'string') throw invalidChallenge();
    const credential = parseCredential(presented, CHALLENGE_ID_BYTES, CHALLENGE_SECRET_BYTES);
    const record = credential && (await this.#challenges.getChallenge(credential.id));
    if (!credential || !record || record.purpose !== purpose || !digestsEqual(sha256(credential.secret), record.secretHash)) throw invalidChallenge();
    if (record.usedAt !== null || this.#clock.now() >= record.expiresAt) throw invalidChallenge();
    return { record };
  }

  /** Checks and spends a ceremony at once (WebAuthn ceremonies are single-shot, success or not). */
  async #spend(presented: string, purpose: ChallengePurpose): Promise<Challenge> {
    const { record } = await this.#live(presented, purpose);
    if (!(await this.#challenges.useChallenge(record.id, this.#clock.now()))) throw invalidChallenge();
    return record;
  }

  async #notify(change: Change, user: User, what: 'added' | 'removed', factor: string): Promise<void> {
    const current = await change.users.findUserById(user.id);
    if (current?.emailVerified && current.email !== null) {
      await change.mail(current.email, { kind: 'factor_changed', username: current.username, change: what, factor, at: toIso(change.now) });
    }
  }
}
