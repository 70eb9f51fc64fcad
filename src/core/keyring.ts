import { type KeyObject, createPrivateKey, createSecretKey } from 'node:crypto';
import { type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { Clock } from './clock.js';
import { hmac, randomToken, sha256 } from './crypto.js';
import { AuthError, ConfigError } from './errors.js';
import { KEY_PUBLISH_AHEAD_MS } from './lifetimes.js';
import { type VerifyKey, importVerifyKey } from './jws.js';
import type { SigningAlg, StoredKey } from './model.js';
import type { KeyStore } from './ports.js';
import { isSealed, open, seal } from './sealing.js';

export interface KeyringOptions {
  alg: SigningAlg;
  /** The HS256 key; HS256 keys are configured, never generated or published. */
  hs256Secret: string | null;
  /** When set, private keys and the server secret are stored sealed with it. */
  keySecret: string | null;
  /** How long a retired key stays for verification (Lifetimes.keyRetainMs). */
  retainMs: number;
  clock: Clock;
}

interface SigningKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
}

/** Where a key stands: published ahead of signing, signing, published only for verification, or gone. */
export type KeyState = 'next' | 'active' | 'retiring' | 'retired';

export interface KeyDescription extends StoredKey {
  state: KeyState;
  /** When it leaves the JWKS; null while no newer key is scheduled. */
  publishedUntil: number | null;
}

/**
 * The signing keys and the server secret. A rotated key is published in the JWKS first and signs only
 * once every verifier's cached JWKS has it (KEY_PUBLISH_AHEAD_MS); the key it replaces signs until
 * then, and stays in the JWKS until every token it signed has expired (DESIGN.md, "Signing").
 */
export class Keyring {
  readonly #store: KeyStore;
  readonly #options: KeyringOptions;
  /** The keys that sign now or will, newest first, as last read; their private parts opened on first use. */
  #signers: StoredKey[] = [];
  #opened = new Map<string, SigningKey>();
  #hs256: SigningKey | null = null;
  #verify = new Map<string, VerifyKey>();
  #jwks: JWK[] = [];
  #serverSecret: Buffer = Buffer.alloc(0);

  private constructor(store: KeyStore, options: KeyringOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Loads the keys, making the first one (and the server secret) on first start. */
  static async open(store: KeyStore, options: KeyringOptions): Promise<Keyring> {
    const keyring = new Keyring(store, options);
    const secret = await store.ensureSecret('server', keyring.#sealIfConfigured(randomToken(32)));
    keyring.#serverSecret = Buffer.from(keyring.#unseal(secret), 'base64url');
    await keyring.#sealStored(secret);
    await keyring.reload();
    // No key yet, or another algorithm configured: a key that signs at once (no verifier can have it cached anyway).
    if (options.alg !== 'HS256' && keyring.#signingAt(options.clock.now())?.alg !== options.alg) await keyring.rotate({ at: 'now' });
    return keyring;
  }

  /**
   * Seals what was stored in clear before TESSERA_KEY_SECRET was set: the private keys and the server
   * secret (ASVS 5.0 V11.1.3: keys at rest are protected once protection is configured).
   */
  async #sealStored(storedSecret: string): Promise<void> {
    const secret = this.#options.keySecret;
    if (secret === null) return;
    if (!isSealed(storedSecret)) await this.#store.resealSecret('server', storedSecret, seal(storedSecret, secret));
    for (const key of await this.#store.listKeys()) {
      if (!isSealed(key.privateJwk)) await this.#store.resealKey(key.kid, key.privateJwk, seal(key.privateJwk, secret));
    }
  }

  /** Re-reads the store, so that a rotation made elsewhere (another instance, the CLI) is seen. */
  async reload(): Promise<void> {
    const now = this.#options.clock.now();
    const stored = (await this.#store.listKeys()).filter((key) => !this.#gone(key, now));
    const verify = new Map<string, VerifyKey>();
    const jwks: JWK[] = [];
    for (const key of stored) {
      if (key.publicJwk === null) continue;
      const jwk = JSON.parse(key.publicJwk) as JWK;
      const imported = importVerifyKey(jwk as Record<string, unknown>, key.alg, key.kid);
      if (!imported) continue;
      verify.set(key.kid, imported);
      jwks.push({ ...jwk, kid: key.kid, alg: key.alg, use: 'sig' });
    }
    this.#signers = stored.filter((key) => key.publicJwk !== null && (key.retiredAt === null || key.retiredAt > now));
    if (this.#options.alg === 'HS256') {
      const secret = Buffer.from(this.#options.hs256Secret ?? '');
      const kid = `hs256-${sha256(secret).toString('base64url').slice(0, 16)}`;
      const key = createSecretKey(secret);
      this.#hs256 = { kid, alg: 'HS256', key };
      verify.set(kid, { kid, alg: 'HS256', key });
    }
    this.#verify = verify;
    this.#jwks = jwks;
  }

  /** Past its retention: every token it signed has expired. */
  #gone(key: StoredKey, now: number): boolean {
    return key.retiredAt !== null && key.retiredAt + this.#options.retainMs <= now;
  }

  /** The key that signs at `now`: the newest one active then. */
  #signingAt(now: number): SigningKey | null {
    if (this.#hs256) return this.#hs256;
    const key = this.#signers.find((k) => k.activatesAt <= now && (k.retiredAt === null || k.retiredAt > now));
    if (!key) return null;
    let opened = this.#opened.get(key.kid);
    if (!opened) {
      // Opening a sealed key runs scrypt on the event loop (~0.1 s): once per key (ASVS 5.0 V15.2.2).
      opened = this.#openSigningKey(key);
      this.#opened.set(key.kid, opened);
    }
    return opened;
  }

  #openSigningKey(key: StoredKey): SigningKey {
    const privateJwk = JSON.parse(this.#unseal(key.privateJwk)) as import('node:crypto').JsonWebKey;
    return { kid: key.kid, alg: key.alg, key: createPrivateKey({ key: privateJwk, format: 'jwk' }) };
  }

  /**
   * Makes a new key, published now, that signs from `at` (default: once every cached JWKS has it),
   * when the keys signing until then retire; drops the keys past retention.
   */
  async rotate(options: { at?: 'now' } = {}): Promise<StoredKey> {
    if (this.#options.alg === 'HS256') {
      throw new AuthError('validation_failed', { detail: 'HS256 keys come from TESSERA_HS256_SECRET; change it to rotate' });
    }
    const now = this.#options.clock.now();
    const stored = await this.#generate(this.#options.alg, now, options.at === 'now' ? now : now + KEY_PUBLISH_AHEAD_MS);
    await this.#store.insertKey(stored);
    await this.#store.retireKeysExcept(stored.kid, stored.activatesAt);
    for (const key of await this.#store.listKeys()) {
      if (this.#gone(key, now)) await this.#store.deleteKey(key.kid);
    }
    await this.reload();
    return stored;
  }

  async #generate(alg: Exclude<SigningAlg, 'HS256'>, now: number, activatesAt: number): Promise<StoredKey> {
    const { publicKey, privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
    const kid = randomToken(12);
    return {
      kid,
      alg,
      publicJwk: JSON.stringify(await exportJWK(publicKey)),
      privateJwk: this.#sealIfConfigured(JSON.stringify(await exportJWK(privateKey))),
      createdAt: now,
      activatesAt,
      retiredAt: null,
    };
  }

  /** Every stored key, newest first, with its state and its times, by the rules the JWKS and signing follow. */
  async describe(): Promise<KeyDescription[]> {
    const now = this.#options.clock.now();
    const signing = this.#options.alg === 'HS256' ? null : this.#signingAt(now)?.kid;
    return (await this.#store.listKeys()).map((key) => {
      const state: KeyState =
        key.kid === signing ? 'active' : key.activatesAt > now ? 'next' : this.#gone(key, now) ? 'retired' : key.retiredAt !== null && key.retiredAt <= now ? 'retiring' : 'active';
      return { ...key, state, publishedUntil: key.retiredAt === null ? null : key.retiredAt + this.#options.retainMs };
    });
  }

  /** The key with that id, pinned to its algorithm; undefined when unknown or expired. */
  get(kid: string): VerifyKey | undefined {
    return this.#verify.get(kid);
  }

  /** The public keys for `/.well-known/jwks.json`: no private member, never a symmetric key. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#jwks };
  }

  /** Signs with the key active now; `typ` names what it is (RFC 8725 §3.11), access tokens by default. */
  async sign(claims: Record<string, unknown>, typ = 'at+jwt'): Promise<string> {
    const signing = this.#signingAt(this.#options.clock.now());
    if (!signing) throw new AuthError('unavailable', { detail: 'no signing key is loaded' });
    return new SignJWT(claims).setProtectedHeader({ alg: signing.alg, typ, kid: signing.kid }).sign(signing.key);
  }

  /** A value derived from the server secret for one purpose (CSRF tokens, refresh successors). */
  derive(purpose: string): Buffer {
    return hmac(this.#serverSecret, purpose);
  }

  #sealIfConfigured(value: string): string {
    return this.#options.keySecret === null ? value : seal(value, this.#options.keySecret);
  }

  #unseal(stored: string): string {
    if (!isSealed(stored)) return stored;
    if (this.#options.keySecret === null) {
      throw new ConfigError('TESSERA_KEY_SECRET: the stored keys are encrypted; set it to the secret they were stored with');
    }
    try {
      return open(stored, this.#options.keySecret);
    } catch {
      throw new ConfigError('TESSERA_KEY_SECRET: it does not open the stored keys');
    }
  }
}
