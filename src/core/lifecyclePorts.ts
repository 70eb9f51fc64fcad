/**
 * The ports of the account lifecycle (issue 13): single-use account tokens, the durable mail queue and
 * its transport, second factors, and short-lived challenges. Times are epoch ms. Every adapter of a port
 * passes its suite in test/contracts/lifecycle.contract.ts.
 */

export type AccountTokenPurpose = 'verify_email' | 'reset_password';

/** A link's token: `id.secret`, of which only SHA-256(secret) is stored. */
export interface AccountToken {
  id: string;
  userId: string;
  purpose: AccountTokenPurpose;
  secretHash: Buffer;
  /** For `verify_email`: the address it proves; a later change of address makes it useless. */
  email: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface AccountTokenStore {
  createToken(token: AccountToken): Promise<void>;
  /** null when unknown. */
  getToken(id: string): Promise<AccountToken | null>;
  /** Marks it used when it is unused and not expired at `now`: one conditional update, so exactly one use wins. */
  useToken(id: string, now: number): Promise<boolean>;
  /** Marks every unused token of the user for that purpose used (a completed reset voids the others). */
  useAll(userId: string, purpose: AccountTokenPurpose, now: number): Promise<void>;
}

/** `mail`: a rendered message; `reset_request`: a password-reset request the worker resolves. */
export type MailJobKind = 'mail' | 'reset_request';

export interface MailJob {
  id: number;
  kind: MailJobKind;
  recipient: string | null;
  /** JSON: an OutgoingMail, or `{ identifier, ip }`. */
  payload: string;
  attempts: number;
}

export interface MailQueue {
  enqueue(job: { kind: MailJobKind; recipient: string | null; payload: string }, now: number): Promise<void>;
  /**
   * Claims up to `limit` unsent jobs due at `now`, oldest first, by moving their next attempt to
   * `leaseUntil` in the same statement: two instances never claim one job, and a job whose worker
   * died is claimed again once its lease ends.
   */
  claim(now: number, leaseUntil: number, limit: number): Promise<MailJob[]>;
  markSent(id: number, now: number): Promise<void>;
  /** Records a failed attempt and when to try again; a job is never dropped. */
  markFailed(id: number, error: string, nextAttemptAt: number): Promise<void>;
  /** How many jobs wait (for metrics and tests). */
  pending(): Promise<number>;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Delivers one message (SMTP, or files for the embedded default); rejects when it could not. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  /** Where mail goes, for the start-up line and the log: `smtp://host:port` or a directory. */
  readonly describe: string;
}

export interface TotpFactor {
  userId: string;
  /** The shared secret, sealed like the signing keys when TESSERA_KEY_SECRET is set. */
  secret: string;
  createdAt: number;
  /** null until a first code confirms the enrolment. */
  confirmedAt: number | null;
  /** The last time step a code was accepted for: a code is good once (RFC 6238 §5.2). */
  lastStep: number;
}

export interface Passkey {
  /** The credential id, base64url. */
  id: string;
  userId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  /** `singleDevice` (hwk) or `multiDevice` (a synced passkey, swk). */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface FactorStore {
  getTotp(userId: string): Promise<TotpFactor | null>;
  /** Replaces the user's TOTP factor (a new enrolment starts over, unconfirmed). */
  saveTotp(factor: TotpFactor): Promise<void>;
  confirmTotp(userId: string, now: number): Promise<void>;
  /** Records `step` as used when it is later than the last step used: atomic, so one code passes once. */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  deleteTotp(userId: string): Promise<boolean>;
  /** Replaces the user's recovery codes with these digests. */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /** Marks an unused code used; true when this call did (single use). */
  useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean>;
  countRecoveryCodes(userId: string): Promise<number>;
  listPasskeys(userId: string): Promise<Passkey[]>;
  /** True when the user has a confirmed TOTP factor or a passkey: one read, made at every password login. */
  hasSecondFactor(userId: string): Promise<boolean>;
  getPasskey(id: string): Promise<Passkey | null>;
  addPasskey(passkey: Passkey): Promise<void>;
  /** Records a use: the new signature counter, when. */
  usePasskey(id: string, counter: number, now: number): Promise<void>;
  renamePasskey(id: string, userId: string, name: string): Promise<boolean>;
  deletePasskey(id: string, userId: string): Promise<boolean>;
  /** Deletes every factor of the user: TOTP, recovery codes, passkeys (an administrator's reset). */
  deleteAllFactors(userId: string): Promise<void>;
}

export type ChallengePurpose = 'mfa' | 'webauthn_register' | 'webauthn_login';

/** A short-lived, single-use ceremony: `id.secret` handed out, SHA-256(secret) kept. */
export interface Challenge {
  id: string;
  userId: string | null;
  purpose: ChallengePurpose;
  secretHash: Buffer;
  /** JSON: what the ceremony remembers (the login scheme, the WebAuthn challenge). */
  data: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface ChallengeStore {
  createChallenge(challenge: Challenge): Promise<void>;
  getChallenge(id: string): Promise<Challenge | null>;
  /** Marks it used when unused and not expired at `now`; true when this call did (single use). */
  useChallenge(id: string, now: number): Promise<boolean>;
}
