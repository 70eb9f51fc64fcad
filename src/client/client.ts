import { TesseraError, problemOf } from './errors.js';
import { type TabBus, type TabMessage, openTabBus } from './tabs.js';

/**
 * How the browser holds the credential:
 * - `session`: a cookie session (`__Host-tessera_session`), CSRF token handled;
 * - `cookie`: an access and a refresh token in HttpOnly cookies, CSRF token handled, refreshed here;
 * - `memory`: both tokens in this page's memory only, sent as a bearer (for calls to other APIs).
 */
export type Transport = 'session' | 'cookie' | 'memory';

export interface User {
  id: string;
  username: string;
  role: string;
}

export interface AuthState {
  status: 'unknown' | 'signedIn' | 'signedOut';
  user: User | null;
  /** When the access token expires (ms since the epoch); null for a cookie session. */
  expiresAt: number | null;
}

export interface AuthEvent {
  type: 'signedIn' | 'signedOut' | 'refreshed' | 'refreshFailed';
  state: AuthState;
  /** Why: a problem code (`token_revoked`, `session_expired`, ...), `signOut`, or `network_error`. */
  reason?: string;
}

export type MfaPending = { status: 'mfaRequired'; challenge: string; methods: string[]; expiresAt: string };
export type SignInResult = { status: 'signedIn'; user: User } | MfaPending;

export interface ClientOptions {
  /** Tessera's origin, e.g. `https://auth.example.com`; '' (the default) means this page's origin. */
  baseUrl?: string;
  /** Default `session`. */
  transport?: Transport;
  /** Default the global `fetch` (bound). Node tests pass one with a cookie jar. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** In [0, 1); default `Math.random`. Drives refresh jitter and back-off. */
  random?: () => number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  /** The name tabs share state under (BroadcastChannel, storage key); false for none. Default `tessera`. */
  channel?: string | false;
  /** Longest wait between refresh retries while Tessera is unreachable; default 30 s. */
  maxBackoffMs?: number;
  /**
   * Where the client remembers that someone is signed in (never a credential): a page load without it
   * makes no request, so an anonymous visitor sees no 401. Default `localStorage` where there is one.
   */
  hintStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void } | null;
}

interface Hint {
  transport: Transport;
  csrf?: string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** 401s that concern the request, not the credential: they never sign anyone out. */
const NOT_A_SIGN_OUT = new Set(['invalid_credentials', 'reauthentication_required', 'mfa_required']);
const SIGNED_OUT: AuthState = { status: 'signedOut', user: null, expiresAt: null };

/** A client of one Tessera server: sign-in, the credential on every call, refresh, and tabs kept in step. */
export class TesseraClient {
  readonly transport: Transport;
  #base: string;
  #fetch: typeof fetch;
  #now: () => number;
  #random: () => number;
  #setTimer: (run: () => void, ms: number) => unknown;
  #clearTimer: (timer: unknown) => void;
  #maxBackoff: number;
  #hints: ClientOptions['hintStorage'];
  #hintKey: string;
  #bus: TabBus;
  #listeners = new Set<(event: AuthEvent) => void>();
  #state: AuthState = { status: 'unknown', user: null, expiresAt: null };
  #csrf: string | undefined;
  #access: string | undefined;
  #refreshToken: string | undefined;
  #lifetime = 0;
  /** Changes at every sign-in and sign-out, so that an answer to an older one is ignored. */
  #epoch = 0;
  #inflight: Promise<void> | null = null;
  #timer: unknown = null;
  #failures = 0;
  #lastFailure: TesseraError | null = null;
  #backoffUntil = 0;
  #ready: Promise<AuthState> | null = null;

  constructor(options: ClientOptions = {}) {
    this.transport = options.transport ?? 'session';
    this.#base = (options.baseUrl ?? '').replace(/\/$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.#clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.#maxBackoff = options.maxBackoffMs ?? 30_000;
    const globalStorage = (globalThis as { localStorage?: ClientOptions['hintStorage'] }).localStorage ?? null;
    this.#hints = options.hintStorage === undefined ? globalStorage : options.hintStorage;
    const channel = options.channel ?? 'tessera';
    this.#hintKey = `${channel || 'tessera'}:hint`;
    this.#bus = channel === false ? { post: () => undefined, close: () => undefined } : openTabBus(channel, (message) => this.#onTab(message));
  }

  get state(): AuthState {
    return this.#state;
  }

  /** Calls `listener` at every change of the signed-in state; returns the function that stops it. */
  onChange(listener: (event: AuthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Finds out who is signed in, once: from the hint left by an earlier sign-in (no request without
   * one), or from a sibling tab (memory transport).
   */
  ready(): Promise<AuthState> {
    this.#ready ??= this.#discover();
    return this.#ready;
  }

  /** Registers, then signs in. With `email`, a verification link is mailed to it. */
  async signUp(username: string, password: string, options: { remember?: boolean; email?: string } = {}): Promise<SignInResult> {
    const res = await this.#raw(`${this.#base}/v1/users`, { method: 'POST', body: { username, password, ...(options.email === undefined ? {} : { email: options.email }) } });
    if (res.status !== 201) throw await problemOf(res);
    return this.signIn(username, password, options);
  }

  async signIn(username: string, password: string, options: { remember?: boolean } = {}): Promise<SignInResult> {
    const res =
      this.transport === 'session'
        ? await this.#raw(`${this.#base}/v1/session`, { method: 'POST', body: { username, password, remember: options.remember ?? false } })
        : await this.#raw(`${this.#base}/v1/tokens`, { method: 'POST', body: { username, password, transport: this.transport === 'cookie' ? 'cookie' : 'body' } });
    return this.#signedIn(res);
  }

  /** The second step of a sign-in that answered `mfaRequired`: a TOTP code, a recovery code or a passkey assertion. */
  async completeMfa(challenge: string, proof: { code: string } | { recoveryCode: string } | { passkey: unknown }): Promise<SignInResult> {
    const path = this.transport === 'session' ? '/v1/session/mfa' : '/v1/tokens/mfa';
    return this.#signedIn(await this.#raw(`${this.#base}${path}`, { method: 'POST', body: { challenge, ...proof } }));
  }

  /** Signs in with a passkey alone: `ceremony` and the assertion come from `POST /v1/passkeys/options` and the browser. */
  async signInWithPasskey(ceremony: string, response: unknown, options: { remember?: boolean } = {}): Promise<SignInResult> {
    const res =
      this.transport === 'session'
        ? await this.#raw(`${this.#base}/v1/session/passkey`, { method: 'POST', body: { ceremony, response, remember: options.remember ?? false } })
        : await this.#raw(`${this.#base}/v1/tokens/passkey`, { method: 'POST', body: { ceremony, response, transport: this.transport === 'cookie' ? 'cookie' : 'body' } });
    return this.#signedIn(res);
  }

  /** The CSRF token of the current cookie credential, for pages that make their own calls. */
  get csrfToken(): string | undefined {
    return this.#csrf;
  }

  /**
   * `this` ends this device's credential; `others` every other session and token family of the user;
   * `all` both. Every tab of this origin hears of a sign-out of this device.
   */
  async signOut(scope: 'this' | 'others' | 'all' = 'this'): Promise<void> {
    if (scope !== 'this') {
      const res = await this.fetch(`${this.#base}/v1/me/sessions`, { method: 'DELETE' });
      if (!res.ok) throw await problemOf(res);
      if (scope === 'others') return;
    }
    const res = await this.#endThisCredential().catch((error: unknown) => error);
    this.#signOutHere('signOut', true);
    if (res instanceof Response && !res.ok && res.status !== 401) throw await problemOf(res);
    if (!(res instanceof Response)) throw res;
  }

  async me(): Promise<User & { auth: Record<string, unknown> }> {
    return this.#json(await this.fetch(`${this.#base}/v1/me`));
  }

  async sessions(): Promise<SessionInfo[]> {
    return (await this.#json<{ sessions: SessionInfo[] }>(await this.fetch(`${this.#base}/v1/me/sessions`))).sessions;
  }

  async revokeSession(id: string): Promise<void> {
    const res = await this.fetch(`${this.#base}/v1/me/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!res.ok) throw await problemOf(res);
  }

  /** Every other session and token family of the user ends; this one lives on. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const res = await this.fetch(`${this.#base}/v1/me/password`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword, newPassword }) });
    if (!res.ok) throw await problemOf(res);
  }

  // The account lifecycle: the calls behind /account. A change to the address or the factors needs a
  // recent sign-in: TesseraError `reauthentication_required` (401) says so, and signs nobody out.

  /** The address and whether it is verified, the TOTP state, recovery codes left, and the passkeys. */
  security(): Promise<AccountSecurity> {
    return this.#call('GET', '/v1/me/security');
  }

  /** Sets the address (a verification link is mailed to it), or removes it with `null`. */
  setEmail(email: string | null): Promise<EmailStatus> {
    return this.#call('PUT', '/v1/me/email', { email });
  }

  /** Proves an address with the token of its link (single use, 24 hours); no sign-in needed. */
  verifyEmail(token: string): Promise<EmailStatus> {
    return this.#public('/v1/email/verify', { token });
  }

  /** Asks for a reset link by user name or address. The answer is the same whether or not the account exists. */
  async forgotPassword(identifier: string): Promise<void> {
    await this.#public('/v1/password/forgot', { identifier });
  }

  /** Sets a new password with the token of a reset link (single use, 15 minutes). Every session and token family of the user ends. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await this.#public('/v1/password/reset', { token, newPassword });
  }

  /** Starts a TOTP enrolment: the secret, its `otpauth://` URI and a QR code as SVG. */
  enrolTotp(): Promise<TotpEnrolment> {
    return this.#call('POST', '/v1/me/totp');
  }

  /** Confirms the enrolment with a first code; resolves to the 10 recovery codes, shown once. */
  async confirmTotp(code: string): Promise<string[]> {
    return (await this.#call<{ recoveryCodes: string[] }>('POST', '/v1/me/totp/confirm', { code })).recoveryCodes;
  }

  async removeTotp(): Promise<void> {
    await this.#call('DELETE', '/v1/me/totp');
  }

  /** New recovery codes; the old ones stop working. */
  async newRecoveryCodes(): Promise<string[]> {
    return (await this.#call<{ recoveryCodes: string[] }>('POST', '/v1/me/recovery-codes')).recoveryCodes;
  }

  /** WebAuthn creation options for a new passkey: pass `options` to `startRegistration`, then `addPasskey`. */
  passkeyRegistrationOptions(): Promise<PasskeyCeremony> {
    return this.#call('POST', '/v1/me/passkeys/options');
  }

  addPasskey(ceremony: string, response: unknown, name?: string): Promise<Passkey> {
    return this.#call('POST', '/v1/me/passkeys', { ceremony, response, ...(name === undefined ? {} : { name }) });
  }

  async passkeys(): Promise<Passkey[]> {
    return (await this.#call<{ passkeys: Passkey[] }>('GET', '/v1/me/passkeys')).passkeys;
  }

  async renamePasskey(id: string, name: string): Promise<void> {
    await this.#call('PATCH', `/v1/me/passkeys/${encodeURIComponent(id)}`, { name });
  }

  async deletePasskey(id: string): Promise<void> {
    await this.#call('DELETE', `/v1/me/passkeys/${encodeURIComponent(id)}`);
  }

  /** WebAuthn request options for `signInWithPasskey` (a discoverable credential: no user name). */
  passkeySignInOptions(): Promise<PasskeyCeremony> {
    return this.#public('/v1/passkeys/options');
  }

  /** WebAuthn request options for a passkey as the second factor of `challenge`; the assertion goes to `completeMfa({ passkey })`. */
  async mfaPasskeyOptions(challenge: string): Promise<unknown> {
    return (await this.#public<{ options: unknown }>('/v1/mfa/passkey-options', { challenge })).options;
  }

  /**
   * `fetch` with the credential: a bearer (memory transport) or the cookies and the CSRF token (to
   * Tessera's origin). A token about to expire is refreshed first; a 401 `token_expired` is
   * refreshed and retried once; any other 401 (bar a wrong password or a step-up) signs out.
   */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const expiresAt = this.#state.expiresAt;
    if (this.transport !== 'session' && this.#state.status === 'signedIn' && expiresAt !== null && expiresAt - this.#now() < 2_000) {
      try {
        await this.refresh();
      } catch (error) {
        // Still valid for a moment: use it. Expired, and no successor to be had: say why.
        if (expiresAt <= this.#now() && this.#state.status === 'signedIn') throw error;
      }
    }
    const res = await this.#authorised(url, init);
    if (res.status !== 401 || this.#state.status !== 'signedIn') return res;
    const problem = await problemOf(res);
    if (NOT_A_SIGN_OUT.has(problem.code)) return res;
    // An expired access cookie is dropped by the browser, so the request arrives with none.
    const expired = problem.code === 'token_expired' || (this.transport === 'cookie' && problem.code === 'unauthenticated');
    if (this.transport !== 'session' && expired) {
      await this.refresh();
      const again = await this.#authorised(url, init);
      if (again.status === 401 && this.#state.status === 'signedIn') {
        const second = await problemOf(again);
        if (!NOT_A_SIGN_OUT.has(second.code)) this.#signOutHere(second.code, true);
      }
      return again;
    }
    this.#signOutHere(problem.code, true);
    return res;
  }

  /**
   * Spends the refresh token now (one request at a time per tab; tabs converge on the server's
   * successor). A network error or a 503 keeps the user signed in and retries with back-off; only a
   * definitive 401 signs out. Rejects with the failure either way.
   */
  refresh(): Promise<void> {
    if (this.transport === 'session') return Promise.resolve();
    // Backing off: calls made meanwhile wait for the scheduled retry instead of hammering the network.
    if (this.#inflight === null && this.#lastFailure && this.#now() < this.#backoffUntil) return Promise.reject(this.#lastFailure);
    return this.#spend();
  }

  #spend(): Promise<void> {
    this.#inflight ??= this.#refreshOnce().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  /** Stops timers and leaves the tab channel. */
  close(): void {
    this.#cancelTimer();
    this.#bus.close();
  }

  async #refreshOnce(): Promise<void> {
    if (this.#state.status !== 'signedIn') throw new TesseraError(401, 'unauthenticated', 'not signed in');
    const epoch = this.#epoch;
    const spent = this.#refreshToken;
    let res: Response;
    try {
      res =
        this.transport === 'memory'
          ? await this.#raw(`${this.#base}/v1/tokens/refresh`, { method: 'POST', body: { refresh_token: spent } })
          : await this.#raw(`${this.#base}/v1/tokens/refresh`, { method: 'POST', body: {}, csrf: true });
    } catch (cause) {
      const failure = new TesseraError(0, 'network_error', cause instanceof Error ? cause.message : String(cause));
      this.#retryLater(failure);
      throw failure;
    }
    if (epoch !== this.#epoch) return;
    if (res.ok) {
      const body = (await res.json()) as TokenPair;
      this.#recovered();
      this.#takeTokens(body);
      this.#bus.post({ type: 'tokens', access: body.access_token, refresh: body.refresh_token, expiresAt: this.#state.expiresAt ?? 0, csrf: this.#csrf });
      this.#emit('refreshed');
      return;
    }
    const problem = await problemOf(res);
    if (res.status === 401) {
      // A sibling replaced the token while this request was out: its successor is already here.
      if (this.transport === 'memory' && this.#refreshToken !== spent) return;
      this.#signOutHere(problem.code, true);
    } else if (res.status >= 500 || res.status === 429 || res.status === 408) {
      this.#retryLater(problem, problem.retryAfter);
    }
    throw problem;
  }

  #retryLater(failure: TesseraError, retryAfter?: number): void {
    const reason = failure.code;
    const backoff = Math.min(this.#maxBackoff, 1_000 * 2 ** this.#failures);
    this.#failures += 1;
    const wait = Math.max(retryAfter ? retryAfter * 1_000 : 0, backoff * (0.5 + this.#random() / 2));
    this.#lastFailure = failure;
    this.#backoffUntil = this.#now() + wait;
    this.#emit('refreshFailed', reason);
    this.#arm(wait);
  }

  /** Refreshes ahead of expiry: a margin of a fifth of the lifetime (at most 60 s), plus jitter, so tabs spread out. */
  #schedule(): void {
    const expiresAt = this.#state.expiresAt;
    if (this.transport === 'session' || expiresAt === null) return;
    const margin = Math.min(60_000, this.#lifetime / 5);
    const jitter = this.#random() * Math.min(30_000, this.#lifetime / 10);
    this.#arm(Math.max(0, expiresAt - this.#now() - margin - jitter));
  }

  #arm(ms: number): void {
    this.#cancelTimer();
    this.#timer = this.#setTimer(() => {
      this.#timer = null;
      this.#spend().catch(() => undefined);
    }, ms);
  }

  #recovered(): void {
    this.#failures = 0;
    this.#lastFailure = null;
    this.#backoffUntil = 0;
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
  }

  #takeTokens(body: TokenPair): void {
    if (body.access_token) this.#access = body.access_token;
    if (body.refresh_token) this.#refreshToken = body.refresh_token;
    if (body.csrfToken) this.#csrf = body.csrfToken;
    this.#lifetime = body.expires_in * 1_000;
    this.#state = { ...this.#state, expiresAt: this.#now() + this.#lifetime };
    this.#saveHint();
    this.#schedule();
  }

  async #signedIn(res: Response): Promise<SignInResult> {
    if (res.status === 202) {
      const { mfa } = (await res.json()) as { mfa: { challenge: string; methods: string[]; expiresAt: string } };
      return { status: 'mfaRequired', ...mfa };
    }
    if (!res.ok) throw await problemOf(res);
    this.#epoch += 1;
    this.#recovered();
    let user: User;
    if (this.transport === 'session') {
      const body = (await res.json()) as { user: User; csrfToken: string };
      this.#csrf = body.csrfToken;
      user = pickUser(body.user);
      this.#state = { status: 'signedIn', user, expiresAt: null };
      this.#saveHint();
    } else {
      const body = (await res.json()) as TokenPair;
      this.#state = { status: 'signedIn', user: null, expiresAt: null };
      this.#takeTokens(body);
      user = pickUser(await this.#json<User>(await this.#authorised(`${this.#base}/v1/me`, {})));
      this.#state = { ...this.#state, user };
    }
    this.#ready = Promise.resolve(this.#state);
    this.#bus.post({ type: 'signedIn', user, expiresAt: this.#state.expiresAt, csrf: this.#csrf, access: this.#access, refresh: this.#refreshToken });
    this.#emit('signedIn');
    return { status: 'signedIn', user };
  }

  async #discover(): Promise<AuthState> {
    if (this.transport === 'memory') return this.#askSiblings();
    const hint = this.#readHint();
    if (!hint || hint.transport !== this.transport) return this.#settle(SIGNED_OUT);
    this.#csrf = hint.csrf;
    try {
      if (this.transport === 'session') {
        const res = await this.#raw(`${this.#base}/v1/session`, { method: 'GET' });
        if (res.status === 401) return this.#settle(SIGNED_OUT, true);
        const body = await this.#json<{ user: User; csrfToken: string }>(res);
        this.#csrf = body.csrfToken;
        return this.#settle({ status: 'signedIn', user: pickUser(body.user), expiresAt: null });
      }
      // Cookie transport: a refresh tells both who it is and when the new access token expires.
      this.#state = { status: 'signedIn', user: null, expiresAt: null };
      const epoch = ++this.#epoch;
      await this.refresh();
      if (epoch !== this.#epoch) return this.#state;
      const user = pickUser(await this.#json<User>(await this.#authorised(`${this.#base}/v1/me`, {})));
      return this.#settle({ ...this.#state, user });
    } catch (error) {
      // Unreachable: stay as the hint says and let the retries find out.
      if (error instanceof TesseraError && error.status === 401) return this.#settle(SIGNED_OUT, true);
      this.#state = { ...this.#state, status: 'signedIn' };
      return this.#state;
    }
  }

  /** Memory transport: a new tab asks the others for the tokens; none within 300 ms means signed out. */
  #askSiblings(): Promise<AuthState> {
    return new Promise((resolve) => {
      const stop = this.onChange(() => {
        stop();
        resolve(this.#state);
      });
      this.#bus.post({ type: 'hello' });
      this.#setTimer(() => {
        stop();
        if (this.#state.status === 'unknown') this.#state = SIGNED_OUT;
        resolve(this.#state);
      }, 300);
    });
  }

  #settle(state: AuthState, clearHint = false): AuthState {
    this.#state = state;
    if (clearHint) this.#hints?.removeItem(this.#hintKey);
    if (state.status === 'signedIn') this.#emit('signedIn');
    return state;
  }

  #onTab(message: TabMessage): void {
    switch (message.type) {
      case 'hello':
        if (this.#state.status === 'signedIn' && this.#state.user) {
          this.#bus.post({ type: 'signedIn', user: this.#state.user, expiresAt: this.#state.expiresAt, csrf: this.#csrf, access: this.#access, refresh: this.#refreshToken });
        }
        return;
      case 'signedIn':
        this.#epoch += 1;
        this.#access = message.access;
        this.#refreshToken = message.refresh;
        this.#csrf = message.csrf;
        this.#state = { status: 'signedIn', user: pickUser(message.user as User), expiresAt: message.expiresAt };
        if (message.expiresAt !== null) this.#lifetime = Math.max(this.#lifetime, message.expiresAt - this.#now());
        this.#schedule();
        this.#emit('signedIn');
        return;
      case 'tokens':
        if (this.#state.status !== 'signedIn') return;
        // The sibling spent the token this tab held: adopt the successor, never spend the old one.
        if (message.access) this.#access = message.access;
        if (message.refresh) this.#refreshToken = message.refresh;
        if (message.csrf) this.#csrf = message.csrf;
        this.#recovered();
        this.#lifetime = Math.max(this.#lifetime, message.expiresAt - this.#now());
        this.#state = { ...this.#state, expiresAt: message.expiresAt };
        this.#schedule();
        this.#emit('refreshed', 'sibling');
        return;
      case 'signedOut':
        if (this.#state.status === 'signedIn' || this.#state.status === 'unknown') this.#signOutHere(message.reason, false);
    }
  }

  #signOutHere(reason: string, tell: boolean): void {
    const was = this.#state.status;
    this.#epoch += 1;
    this.#cancelTimer();
    this.#access = this.#refreshToken = this.#csrf = undefined;
    this.#state = SIGNED_OUT;
    this.#ready = Promise.resolve(SIGNED_OUT);
    this.#hints?.removeItem(this.#hintKey);
    if (tell) this.#bus.post({ type: 'signedOut', reason });
    if (was !== 'signedOut') this.#emit('signedOut', reason);
  }

  #endThisCredential(): Promise<Response> {
    if (this.transport === 'session') return this.#raw(`${this.#base}/v1/session`, { method: 'DELETE', csrf: true });
    if (this.transport === 'cookie') return this.#raw(`${this.#base}/v1/tokens/revoke`, { method: 'POST', body: {}, csrf: true });
    return this.#raw(`${this.#base}/v1/tokens/revoke`, { method: 'POST', body: { token: this.#refreshToken ?? '' } });
  }

  /** The request with this client's credential added. */
  #authorised(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const method = (init.method ?? 'GET').toUpperCase();
    if (this.transport === 'memory') {
      if (this.#access && !headers.has('authorization')) headers.set('authorization', `Bearer ${this.#access}`);
      return this.#fetch(url, { ...init, headers });
    }
    if (this.#csrf && UNSAFE.has(method) && this.#isTessera(url)) headers.set('x-csrf-token', this.#csrf);
    return this.#fetch(url, { credentials: 'include', ...init, headers });
  }

  #isTessera(url: string): boolean {
    if (!this.#base) return url.startsWith('/') && !url.startsWith('//');
    return url === this.#base || url.startsWith(`${this.#base}/`);
  }

  /** A call to Tessera itself, with a JSON body and, when asked, the CSRF token. */
  #raw(url: string, { method, body, csrf = false }: { method: string; body?: unknown; csrf?: boolean }): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (csrf && this.#csrf) headers['x-csrf-token'] = this.#csrf;
    // Memory transport sends no cookie at all: its credential is the token in the body or the header.
    return this.#fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: this.transport === 'memory' ? 'omit' : 'include' });
  }

  /** A call to Tessera with the credential; the parsed answer (undefined for 204), or the problem thrown. */
  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    return this.#parsed(await this.fetch(`${this.#base}${path}`, init));
  }

  /** A call that needs no credential (links, passkey options). */
  async #public<T>(path: string, body?: unknown): Promise<T> {
    return this.#parsed(await this.#raw(`${this.#base}${path}`, { method: 'POST', body }));
  }

  async #parsed<T>(res: Response): Promise<T> {
    if (!res.ok) throw await problemOf(res);
    return (res.status === 204 || res.status === 202 ? undefined : await res.json()) as T;
  }

  async #json<T>(res: Response): Promise<T> {
    if (!res.ok) throw await problemOf(res);
    return (await res.json()) as T;
  }

  #emit(type: AuthEvent['type'], reason?: string): void {
    const event: AuthEvent = { type, state: this.#state, ...(reason === undefined ? {} : { reason }) };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is the app's, and must not stop the others.
      }
    }
  }

  #readHint(): Hint | null {
    try {
      const raw = this.#hints?.getItem(this.#hintKey);
      return raw ? (JSON.parse(raw) as Hint) : null;
    } catch {
      return null;
    }
  }

  #saveHint(): void {
    // Memory transport keeps nothing across a reload, by design.
    if (this.transport === 'memory') return;
    try {
      this.#hints?.setItem(this.#hintKey, JSON.stringify({ transport: this.transport, csrf: this.#csrf } satisfies Hint));
    } catch {
      // Storage full or refused (private mode): the next load asks the user to sign in.
    }
  }
}

export interface SessionInfo {
  id: string;
  kind: 'cookie' | 'token';
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
  /** The User-Agent parsed by the server: e.g. `{ browser: 'Chrome 131', os: 'macOS', type: 'desktop', label: 'Chrome 131 on macOS' }`. */
  device: { browser: string; os: string; type: string; label: string };
}

export interface EmailStatus {
  email: string | null;
  emailVerified: boolean;
}

export interface Passkey {
  id: string;
  name: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AccountSecurity extends EmailStatus {
  totp: 'none' | 'pending' | 'enabled';
  /** Unused recovery codes left. */
  recoveryCodes: number;
  passkeys: Passkey[];
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
  qrSvg: string;
}

/** A WebAuthn ceremony: `options` for @simplewebauthn/browser, and the single-use id (5 minutes) to send back with its answer. */
export interface PasskeyCeremony {
  ceremony: string;
  options: unknown;
}

interface TokenPair {
  access_token?: string;
  refresh_token?: string;
  csrfToken?: string;
  expires_in: number;
  refresh_expires_in: number;
}

const pickUser = (user: User): User => ({ id: user.id, username: user.username, role: user.role });

export const createClient = (options?: ClientOptions): TesseraClient => new TesseraClient(options);
