import { Secret, TOTP } from 'otpauth';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthEvent, type ClientOptions, type MfaPending, TesseraClient } from '../../src/client/index.js';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';

/**
 * tessera/client in Node against the real app, listening on a port: every transport, the refresh
 * rules, and two "tabs" (clients on one BroadcastChannel, as Node 20 has it) kept in step.
 */
const PORT = 25_101;
let t: TestApp;
let base: string;
let admin: { access: string } | undefined;
const open: TesseraClient[] = [];
let channels = 0;

beforeAll(async () => {
  t = await testApp({ TESSERA_ACCESS_TTL: '60' });
  await t.app.listen({ host: '127.0.0.1', port: PORT });
  base = `http://127.0.0.1:${PORT}`;
  await t.tessera.register('root-admin', PASSWORD, null, 'admin');
});

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

/** A fetch with a cookie jar, as a browser profile would have (attributes are the server's business). */
function jarFetch(jar = new Map<string, string>()): { fetch: typeof fetch; jar: Map<string, string>; calls: string[] } {
  const calls: string[] = [];
  const wrapped: typeof fetch = async (input, init = {}) => {
    const url = String(input);
    calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
    const headers = new Headers(init.headers);
    if (jar.size > 0 && url.startsWith(base)) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/max-age=0/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  return { fetch: wrapped, jar, calls };
}

function client(options: ClientOptions): TesseraClient {
  const c = new TesseraClient({ baseUrl: base, hintStorage: null, channel: false, ...options });
  open.push(c);
  return c;
}

/** Timers the test fires by hand: the client's clock is injected, no test sleeps for expiry. */
function manualTimers() {
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 0;
  return {
    setTimer: (run: () => void, ms: number) => {
      pending.set(++next, { run, ms });
      return next;
    },
    clearTimer: (id: unknown) => void pending.delete(id as number),
    last: () => [...pending.values()].at(-1),
    fire() {
      const entries = [...pending];
      pending.clear();
      for (const [, { run }] of entries) run();
    },
  };
}

let users = 0;
const fresh = async (): Promise<string> => {
  const name = `client-user-${++users}`;
  await t.register(name);
  return name;
};

describe('cookie session transport', () => {
  it('signs up and is signed in, lists sessions, changes the password, and signs out', async () => {
    const { fetch, calls } = jarFetch();
    const hints = new Map<string, string>();
    const hintStorage = { getItem: (k: string) => hints.get(k) ?? null, setItem: (k: string, v: string) => void hints.set(k, v), removeItem: (k: string) => void hints.delete(k) };
    const c = client({ fetch, hintStorage });
    const events: AuthEvent[] = [];
    c.onChange((e) => events.push(e));

    // An anonymous load asks nothing of the server, so a browser logs no 401.
    expect((await c.ready()).status).toBe('signedOut');
    expect(calls).toEqual([]);

    const result = await c.signUp('client-session', PASSWORD);
    expect(result).toMatchObject({ status: 'signedIn', user: { username: 'client-session', role: 'user' } });
    expect(events.map((e) => e.type)).toEqual(['signedIn']);
    expect((await c.me()).auth.method).toBe('session');

    // A second device, then the list marks this one current.
    const other = await t.login('client-session');
    const sessions = await c.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);

    // A reload finds the session again through the hint, and gets a CSRF token for unsafe calls.
    const reloaded = client({ fetch, hintStorage });
    expect(await reloaded.ready()).toMatchObject({ status: 'signedIn', user: { username: 'client-session' } });
    await reloaded.revokeSession(sessions.find((s) => !s.current)!.id);
    expect((await t.app.inject({ url: '/v1/me', cookies: { '__Host-tessera_session': other.cookie } })).json().code).toBe('session_revoked');

    await expect(c.changePassword('wrong password entirely', 'another long passphrase 42')).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(c.state.status).toBe('signedIn');
    await c.changePassword(PASSWORD, 'another long passphrase 42');
    await c.signOut();
    expect(c.state.status).toBe('signedOut');
    expect(events.at(-1)).toMatchObject({ type: 'signedOut', reason: 'signOut' });
    expect(hints.size).toBe(0);
  });

  it('signs out every other device, then everywhere', async () => {
    const name = await fresh();
    const c = client({ fetch: jarFetch().fetch });
    await c.signIn(name, PASSWORD);
    const phone = await t.login(name);
    const laptop = await t.tokens(name);
    await c.signOut('others');
    expect(c.state.status).toBe('signedIn');
    expect((await t.app.inject({ url: '/v1/me', cookies: { '__Host-tessera_session': phone.cookie } })).json().code).toBe('session_revoked');
    expect((await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: laptop.refresh } })).statusCode).toBe(401);
    await c.signOut('all');
    expect(c.state.status).toBe('signedOut');
    expect((await c.fetch(`${base}/v1/me`)).status).toBe(401);
  });

  it('signs out on a 401 that is not about the request (the session was revoked elsewhere)', async () => {
    const name = await fresh();
    const c = client({ fetch: jarFetch().fetch });
    await c.signIn(name, PASSWORD);
    const sid = (await c.me()).auth.sessionId as string;
    const { cookie, csrf } = await t.login(name);
    await t.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${sid}`, cookies: { '__Host-tessera_session': cookie }, headers: { 'x-csrf-token': csrf } });
    const events: AuthEvent[] = [];
    c.onChange((e) => events.push(e));
    expect((await c.fetch(`${base}/v1/me`)).status).toBe(401);
    expect(events).toMatchObject([{ type: 'signedOut', reason: 'session_revoked' }]);
  });
});

describe('tokens in memory (bearer)', () => {
  it('refreshes ahead of expiry with jitter, inside the lifetime', async () => {
    const name = await fresh();
    const timers = manualTimers();
    const c = client({ transport: 'memory', now: () => 1_000_000, random: () => 0.5, ...timers });
    await c.signIn(name, PASSWORD);
    // 60 s lifetime: a 12 s margin and half of a 6 s jitter window.
    expect(timers.last()!.ms).toBe(60_000 - 12_000 - 3_000);
    const before = c.state.expiresAt;
    timers.fire();
    await c.refresh();
    expect(c.state.expiresAt).toBe(before);
    expect((await c.me()).username).toBe(name);
  });

  it('on 401 token_expired refreshes and retries once, then answers', async () => {
    const name = await fresh();
    const c = client({ transport: 'memory' });
    await c.signIn(name, PASSWORD);
    t.advance(61_000);
    const res = await c.fetch(`${base}/v1/me`);
    expect(res.status).toBe(200);
    expect(c.state.status).toBe('signedIn');
  });

  it('keeps the user signed in while the refresh meets a network error or a 503, and retries with back-off', async () => {
    const name = await fresh();
    const timers = manualTimers();
    let down: 'network' | 503 | null = null;
    const flaky: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/v1/tokens/refresh') && down === 'network') throw new TypeError('fetch failed');
      if (String(input).endsWith('/v1/tokens/refresh') && down === 503) return new Response(JSON.stringify({ code: 'unavailable', title: 'Unavailable', status: 503 }), { status: 503, headers: { 'retry-after': '1' } });
      return fetch(input, init);
    };
    const c = client({ transport: 'memory', fetch: flaky, random: () => 0, ...timers });
    await c.signIn(name, PASSWORD);
    const events: AuthEvent[] = [];
    c.onChange((e) => events.push(e));
    const waits: number[] = [];
    const next = (type: AuthEvent['type']) => new Promise<void>((resolve) => { const stop = c.onChange((e) => { if (e.type === type) { stop(); resolve(); } }); });
    down = 'network';
    await expect(c.refresh()).rejects.toMatchObject({ code: 'network_error', status: 0 });
    waits.push(timers.last()!.ms);
    // While backing off, calls wait for the scheduled retry: no request, the same failure.
    await expect(c.refresh()).rejects.toMatchObject({ code: 'network_error' });
    for (const state of ['network', 503, 'network'] as const) {
      down = state;
      const failed = next('refreshFailed');
      timers.fire();
      await failed;
      await new Promise((resolve) => setImmediate(resolve)); // the failed attempt settles
      waits.push(timers.last()!.ms);
      expect(c.state.status).toBe('signedIn');
    }
    // Back-off doubles (1, 2, 4, 8 s, halved by zero jitter), and Retry-After is a floor.
    expect(waits).toEqual([500, 1_000, 2_000, 4_000]);
    down = null;
    const refreshed = next('refreshed');
    timers.fire();
    await refreshed;
    expect(events.map((e) => e.type)).toEqual(['refreshFailed', 'refreshFailed', 'refreshFailed', 'refreshFailed', 'refreshed']);
    expect((await c.me()).username).toBe(name);
  });

  it('signs out at a definitive 401: an administrator revoked everything', async () => {
    const name = await fresh();
    const c = client({ transport: 'memory' });
    await c.signIn(name, PASSWORD);
    const user = (await c.me()).id;
    const revoked = await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${user}/sessions`, headers: { authorization: `Bearer ${admin?.access ?? (await adminToken())}` } });
    expect(revoked.statusCode).toBe(204);
    const events: AuthEvent[] = [];
    c.onChange((e) => events.push(e));
    const res = await c.fetch(`${base}/v1/me`);
    expect(res.status).toBe(401);
    expect(c.state.status).toBe('signedOut');
    expect(events).toMatchObject([{ type: 'signedOut', reason: 'token_revoked' }]);
  });
});

describe('tokens in HttpOnly cookies', () => {
  it('signs in, refreshes with the refresh cookie and the CSRF token, and signs out', async () => {
    const name = await fresh();
    const { fetch, jar } = jarFetch();
    const c = client({ transport: 'cookie', fetch });
    await c.signIn(name, PASSWORD);
    expect([...jar.keys()].sort()).toEqual(['__Host-tessera_access', '__Secure-tessera_refresh']);
    const first = jar.get('__Secure-tessera_refresh');
    await c.refresh();
    expect(jar.get('__Secure-tessera_refresh')).not.toBe(first);
    // The access cookie expired and the browser dropped it: the client refreshes and retries.
    jar.delete('__Host-tessera_access');
    expect((await c.fetch(`${base}/v1/me`)).status).toBe(200);
    await c.signOut();
    expect(jar.size).toBe(0);
    expect(c.state.status).toBe('signedOut');
  });
});

describe('tabs, without a lock', () => {
  const pair = async (transport: 'memory' | 'cookie') => {
    const channel = `tessera-test-${++channels}`;
    const shared = transport === 'cookie' ? jarFetch() : null;
    const a = client({ transport, channel, ...(shared ? { fetch: shared.fetch } : {}) });
    const b = client({ transport, channel, ...(shared ? { fetch: shared.fetch } : {}) });
    return { a, b };
  };
  const heard = (c: TesseraClient, type: AuthEvent['type']) => new Promise<AuthEvent>((resolve) => { const stop = c.onChange((e) => { if (e.type === type) { stop(); resolve(e); } }); });

  it('a new tab gets the tokens from a sibling, and never spends a token the sibling replaced', async () => {
    const name = await fresh();
    const { a, b } = await pair('memory');
    await a.signIn(name, PASSWORD);
    expect(await b.ready()).toMatchObject({ status: 'signedIn', user: { username: name } });
    for (let i = 0; i < 5; i++) {
      const adopted = heard(b, 'refreshed');
      await a.refresh();
      await adopted;
      const back = heard(a, 'refreshed');
      await b.refresh();
      await back;
    }
    t.advance(11_000); // past the reuse interval: a stale token would now be refresh_token_reused
    await a.refresh();
    expect((await b.me()).username).toBe(name);
    expect(a.state.status).toBe('signedIn');
    expect(b.state.status).toBe('signedIn');
  });

  it('concurrent refreshes converge on one successor', async () => {
    const name = await fresh();
    const { a, b } = await pair('memory');
    await a.signIn(name, PASSWORD);
    await b.ready();
    await Promise.all([a.refresh(), b.refresh(), a.refresh()]);
    t.advance(11_000);
    await Promise.all([a.refresh(), b.refresh()]);
    expect([a.state.status, b.state.status]).toEqual(['signedIn', 'signedIn']);
  });

  it('a sign-out in one tab reaches the other', async () => {
    const name = await fresh();
    const { a, b } = await pair('cookie');
    await a.signIn(name, PASSWORD);
    await b.ready();
    const out = heard(b, 'signedOut');
    await a.signOut();
    expect((await out).reason).toBe('signOut');
    expect(b.state.status).toBe('signedOut');
  });
});

async function adminToken(): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'root-admin', password: PASSWORD } });
  admin = { access: res.json().access_token };
  return admin.access;
}

describe('the account lifecycle', () => {
  /** The token in the fragment of the newest link mailed to `to`, once the mail worker has sent it. */
  const mailedToken = async (to: string, subject: RegExp): Promise<string> => {
    const link = await vi.waitFor(() => {
      const found = t.mail.linkTo(to, subject);
      if (found === null) throw new Error(`no mail to ${to} matching ${subject} yet`);
      return found;
    });
    return new URLSearchParams(new URL(link).hash.slice(1)).get('token')!;
  };
  const totpFor = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

  it('verifies an address, enrols TOTP with recovery codes, steps up with one, and resets a forgotten password', async () => {
    const c = client({ fetch: jarFetch().fetch });
    await c.signUp('client-lifecycle', PASSWORD, { email: 'Lifecycle@Example.com' });
    expect(await c.security()).toMatchObject({ email: 'Lifecycle@Example.com', emailVerified: false, totp: 'none', recoveryCodes: 0, passkeys: [] });
    // The link's token needs no sign-in: any client (another browser) can follow it.
    const stranger = client({ fetch: jarFetch().fetch });
    expect(await stranger.verifyEmail(await mailedToken('Lifecycle@Example.com', /Confirm/))).toEqual({ email: 'Lifecycle@Example.com', emailVerified: true });
    await expect(stranger.verifyEmail('not-a-token')).rejects.toMatchObject({ status: 400 });

    const { secret, uri, qrSvg } = await c.enrolTotp();
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(qrSvg).toMatch(/^<svg/);
    // A mistyped code is refused, and signs nobody out.
    await expect(c.confirmTotp('000000')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(c.state.status).toBe('signedIn');
    const codes = await c.confirmTotp(totpFor(secret).generate({ timestamp: t.clock.now() }));
    expect(codes).toHaveLength(10);
    expect(await c.security()).toMatchObject({ totp: 'enabled', recoveryCodes: 10 });

    // Changing factors now needs a sign-in with one: the refusal says so, and signs nobody out.
    await expect(c.newRecoveryCodes()).rejects.toMatchObject({ status: 401, code: 'reauthentication_required' });
    await expect(c.removeTotp()).rejects.toMatchObject({ status: 401, code: 'reauthentication_required' });
    expect(c.state.status).toBe('signedIn');
    const step = await c.signIn('client-lifecycle', PASSWORD);
    expect(step).toMatchObject({ status: 'mfaRequired', methods: expect.arrayContaining(['totp']) });
    expect(await c.completeMfa((step as MfaPending).challenge, { recoveryCode: codes[0]! })).toMatchObject({ status: 'signedIn' });
    expect((await c.me()).auth).toMatchObject({ amr: expect.arrayContaining(['mfa']) });
    const fresher = await c.newRecoveryCodes();
    expect(fresher).toHaveLength(10);
    expect(fresher.filter((code) => codes.includes(code))).toEqual([]);
    // The old codes are void: a second sign-in cannot use one.
    const again = (await client({ fetch: jarFetch().fetch }).signIn('client-lifecycle', PASSWORD)) as MfaPending;
    await expect(stranger.completeMfa(again.challenge, { recoveryCode: codes[1]! })).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    await c.removeTotp();
    expect(await c.security()).toMatchObject({ totp: 'none', recoveryCodes: 0 });

    // A forgotten password: the same answer for a name nobody has; the link sets the new one and ends every credential.
    await stranger.forgotPassword('nobody-has-this-name');
    await stranger.forgotPassword('lifecycle@example.com');
    await stranger.resetPassword(await mailedToken('Lifecycle@Example.com', /Reset/), 'a brand new passphrase 77');
    expect((await c.fetch(`${base}/v1/me`)).status).toBe(401);
    expect(c.state.status).toBe('signedOut');
    expect(await c.signIn('client-lifecycle', 'a brand new passphrase 77')).toMatchObject({ status: 'signedIn' });
  });

  it('starts passkey ceremonies and manages the list (the authenticator itself is tested in Chromium)', async () => {
    const c = client({ fetch: jarFetch().fetch });
    await c.signUp('client-passkeys', PASSWORD);
    const registration = await c.passkeyRegistrationOptions();
    expect(registration.ceremony).toEqual(expect.any(String));
    expect(registration.options).toMatchObject({ rp: { id: 'localhost' }, user: { name: 'client-passkeys' } });
    await expect(c.addPasskey(registration.ceremony, { id: 'x', rawId: 'x', type: 'public-key', response: {} })).rejects.toMatchObject({ status: 400 });
    expect(await c.passkeys()).toEqual([]);
    await expect(c.renamePasskey('no-such-passkey', 'Laptop')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(c.deletePasskey('no-such-passkey')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    const anonymous = client({ fetch: jarFetch().fetch });
    expect(await anonymous.passkeySignInOptions()).toMatchObject({ ceremony: expect.any(String), options: { rpId: 'localhost' } });
    await expect(anonymous.mfaPasskeyOptions('not-a-challenge')).rejects.toMatchObject({ status: 401 });
  });
});
