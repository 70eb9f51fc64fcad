import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../src/core/clock.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

const NEW_PASSWORD = 'a brand new passphrase, rather long';
let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(() => t.close());

type Headers = Record<string, string>;
const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Headers = {}) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

/** The token in the fragment of the newest link mailed to `to`. */
function tokenMailedTo(to: string, subject: RegExp): string {
  const link = t.mail.linkTo(to, subject);
  expect(link, `a mail to ${to} matching ${subject}`).not.toBeNull();
  const url = new URL(link!);
  expect(url.origin).toBe('http://localhost:8080');
  return new URLSearchParams(url.hash.slice(1)).get('token')!;
}

async function registerWithEmail(username: string, email: string): Promise<void> {
  const res = await call('POST', '/v1/users', { username, password: PASSWORD, email });
  expect(res.statusCode).toBe(201);
}

/** Alice with a verified address and a password session. */
async function verifiedAlice(): Promise<{ cookie: string; csrf: string }> {
  await registerWithEmail('alice', 'Alice@Example.com');
  expect((await call('POST', '/v1/email/verify', { token: tokenMailedTo('Alice@Example.com', /Confirm/) })).statusCode).toBe(200);
  return t.login('alice');
}

const totpFor = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

/** Enrols TOTP for the session's user; returns the generator and the recovery codes. */
async function enrolTotp(auth: Headers): Promise<{ totp: TOTP; codes: string[] }> {
  const enrol = await call('POST', '/v1/me/totp', undefined, auth);
  expect(enrol.statusCode).toBe(200);
  const { secret, uri, qrSvg } = enrol.json();
  expect(uri).toMatch(/^otpauth:\/\/totp\/localhost%3A8080:alice\?/);
  expect(qrSvg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
  const totp = totpFor(secret);
  const confirmed = await call('POST', '/v1/me/totp/confirm', { code: totp.generate({ timestamp: t.clock.now() }) }, auth);
  expect(confirmed.statusCode).toBe(200);
  const codes = confirmed.json().recoveryCodes as string[];
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);
  return { totp, codes };
}

const withCsrf = (s: { cookie: string; csrf: string }): Headers => ({ ...sessionCookie(s.cookie), 'x-csrf-token': s.csrf });

describe('e-mail addresses and their verification', () => {
  it('mails a link at registration; following it verifies the address once', async () => {
    await registerWithEmail('alice', 'Alice@Example.com');
    const mail = t.mail.sent.at(-1)!;
    expect(mail).toMatchObject({ to: 'Alice@Example.com', subject: 'Confirm your e-mail address' });
    expect(mail.html).toContain('<a href="http://localhost:8080/account/verify-email#token=');
    const token = tokenMailedTo('Alice@Example.com', /Confirm/);
    const session = await t.login('alice');
    expect((await call('GET', '/v1/me/security', undefined, sessionCookie(session.cookie))).json()).toMatchObject({ email: 'Alice@Example.com', emailVerified: false });
    const verified = await call('POST', '/v1/email/verify', { token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toEqual({ email: 'Alice@Example.com', emailVerified: true });
    const replay = await call('POST', '/v1/email/verify', { token });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().errors[0]).toMatchObject({ field: 'token', code: 'invalid_or_used' });
  });

  it('refuses a link after 24 hours, a forged secret, and one for an address the user has since changed', async () => {
    await registerWithEmail('alice', 'alice@example.com');
    const token = tokenMailedTo('alice@example.com', /Confirm/);
    const [id, secret] = token.split('.') as [string, string];
    const bytes = Buffer.from(secret, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const forged = `${id}.${bytes.toString('base64url')}`;
    expect((await call('POST', '/v1/email/verify', { token: forged })).statusCode).toBe(400);
    const session = await t.login('alice');
    const changed = await call('PUT', '/v1/me/email', { email: 'alice@other.example' }, withCsrf(session));
    expect(changed.json()).toEqual({ email: 'alice@other.example', emailVerified: false });
    expect((await call('POST', '/v1/email/verify', { token })).statusCode).toBe(400);
    const fresh = tokenMailedTo('alice@other.example', /Confirm/);
    t.advance(24 * 60 * MINUTE);
    expect((await call('POST', '/v1/email/verify', { token: fresh })).statusCode).toBe(400);
  });

  it('keeps a verified address unique: a second account can claim it but not verify it', async () => {
    await verifiedAlice();
    await registerWithEmail('bob', 'ALICE@example.com');
    const bobs = await call('POST', '/v1/email/verify', { token: tokenMailedTo('ALICE@example.com', /Confirm/) });
    expect(bobs.statusCode).toBe(409);
    expect(bobs.json().code).toBe('email_taken');
  });

  it('refuses a malformed address with a field error, and no account is made', async () => {
    const res = await call('POST', '/v1/users', { username: 'alice', password: PASSWORD, email: 'not an address' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'email', code: 'invalid_format' })]);
    expect(await t.tessera.findUserByName('alice')).toBeNull();
  });
});

describe('password reset', () => {
  it('answers the same for a known and an unknown account, and mails only the known one', async () => {
    await verifiedAlice();
    const sentBefore = t.mail.sent.length;
    const known = await call('POST', '/v1/password/forgot', { identifier: 'alice@EXAMPLE.com' });
    const unknown = await call('POST', '/v1/password/forgot', { identifier: 'nobody@example.com' });
    const byName = await call('POST', '/v1/password/forgot', { identifier: 'nobody' });
    for (const res of [known, unknown, byName]) {
      expect(res.statusCode).toBe(202);
      expect(res.body).toBe('{}');
    }
    await t.tessera.deliverMail();
    expect(t.mail.sent.slice(sentBefore).map((m) => [m.to, m.subject])).toEqual([['Alice@Example.com', 'Reset your password']]);
  });

  it('sets the new password, revokes every session and token, and the link works once', async () => {
    const session = await verifiedAlice();
    const pair = await t.tokens('alice');
    await call('POST', '/v1/password/forgot', { identifier: 'alice' });
    await t.tessera.deliverMail();
    const token = tokenMailedTo('Alice@Example.com', /Reset/);
    const weak = await call('POST', '/v1/password/reset', { token, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].field).toBe('newPassword');
    const done = await call('POST', '/v1/password/reset', { token, newPassword: NEW_PASSWORD });
    expect(done.statusCode).toBe(204);
    expect((await call('GET', '/v1/me', undefined, sessionCookie(session.cookie))).json().code).toBe('session_revoked');
    expect((await call('GET', '/v1/me', undefined, bearer(pair.access))).json().code).toBe('token_revoked');
    expect((await call('POST', '/v1/tokens/refresh', { refresh_token: pair.refresh })).statusCode).toBe(401);
    expect((await call('POST', '/v1/session', { username: 'alice', password: PASSWORD })).statusCode).toBe(401);
    await t.login('alice', NEW_PASSWORD);
    // A retry of the same reset (its answer lost) converges; a replay with another password fails.
    expect((await call('POST', '/v1/password/reset', { token, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect((await call('POST', '/v1/password/reset', { token, newPassword: 'yet another passphrase here' })).statusCode).toBe(400);
    expect(t.mail.sent.at(-1)).toMatchObject({ to: 'Alice@Example.com', subject: 'Your password was changed' });
  });

  it('refuses an expired link, one from before another reset, and one with its secret changed', async () => {
    await verifiedAlice();
    for (let i = 0; i < 2; i++) await call('POST', '/v1/password/forgot', { identifier: 'alice' });
    await t.tessera.deliverMail();
    const [first, second] = t.mail.sent.filter((m) => /Reset/.test(m.subject)).map((m) => new URLSearchParams(new URL(/https?:\/\/\S+/.exec(m.text)![0]).hash.slice(1)).get('token')!);
    const [id, secret] = second!.split('.') as [string, string];
    const tampered = `${id}.${secret.slice(0, -2)}${secret.endsWith('AA') ? 'AQ' : 'AA'}`;
    expect((await call('POST', '/v1/password/reset', { token: tampered, newPassword: NEW_PASSWORD })).statusCode).toBe(400);
    expect((await call('POST', '/v1/password/reset', { token: second, newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    expect((await call('POST', '/v1/password/reset', { token: first, newPassword: 'yet another passphrase here' })).statusCode).toBe(400);
    await call('POST', '/v1/password/forgot', { identifier: 'alice' });
    await t.tessera.deliverMail();
    const late = tokenMailedTo('Alice@Example.com', /Reset/);
    t.advance(15 * MINUTE);
    expect((await call('POST', '/v1/password/reset', { token: late, newPassword: 'yet another passphrase here' })).statusCode).toBe(400);
  });

  it('refuses a link spliced from two users’ links: the id of one, the secret of the other', async () => {
    await verifiedAlice();
    await registerWithEmail('bob', 'bob@example.com');
    expect((await call('POST', '/v1/email/verify', { token: tokenMailedTo('bob@example.com', /Confirm/) })).statusCode).toBe(200);
    for (const identifier of ['alice', 'bob']) await call('POST', '/v1/password/forgot', { identifier });
    await t.tessera.deliverMail();
    const [aliceId] = tokenMailedTo('Alice@Example.com', /Reset/).split('.');
    const [, bobSecret] = tokenMailedTo('bob@example.com', /Reset/).split('.');
    expect((await call('POST', '/v1/password/reset', { token: `${aliceId}.${bobSecret}`, newPassword: NEW_PASSWORD })).statusCode).toBe(400);
    await t.login('alice');
    await t.login('bob');
  });

  it('throttles requests per account, whether or not it exists, and per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('POST', '/v1/password/forgot', { identifier: 'ghost' })).statusCode);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await call('POST', '/v1/password/forgot', { identifier: 'ghost' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const perAddress: number[] = [];
    for (let i = 0; i < 8; i++) perAddress.push((await call('POST', '/v1/password/forgot', { identifier: `someone${i}` })).statusCode);
    expect(perAddress.at(-1)).toBe(429);
  });
});

describe('TOTP and the two-step login', () => {
  it('turns a password login into a challenge, and the challenge with a code into a session or tokens', async () => {
    const first = await verifiedAlice();
    const { totp } = await enrolTotp(withCsrf(first));
    expect(t.mail.sent.at(-1)).toMatchObject({ subject: 'A second factor was added' });
    t.advance(MINUTE);
    const step1 = await call('POST', '/v1/session', { username: 'alice', password: PASSWORD });
    expect(step1.statusCode).toBe(202);
    expect(step1.cookies).toEqual([]);
    const { challenge, methods } = step1.json().mfa;
    expect(methods).toEqual(['totp', 'recovery_code']);
    const step2 = await call('POST', '/v1/session/mfa', { challenge, code: totp.generate({ timestamp: t.clock.now() }) });
    expect(step2.statusCode).toBe(200);
    expect(step2.json().session.amr).toEqual(['pwd', 'otp', 'mfa']);
    // The challenge is single use.
    expect((await call('POST', '/v1/session/mfa', { challenge, code: totp.generate({ timestamp: t.clock.now() }) })).json().code).toBe('invalid_token');

    t.advance(MINUTE);
    const tokens1 = await call('POST', '/v1/tokens', { username: 'alice', password: PASSWORD });
    expect(tokens1.statusCode).toBe(202);
    const tokens2 = await call('POST', '/v1/tokens/mfa', { challenge: tokens1.json().mfa.challenge, code: totp.generate({ timestamp: t.clock.now() }) });
    expect(tokens2.statusCode).toBe(200);
    const me = await call('GET', '/v1/me', undefined, bearer(tokens2.json().access_token));
    expect(me.json().auth).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], authTime: new Date(t.clock.now()).toISOString() });
    // A session challenge cannot be finished as tokens.
    const crossed = await call('POST', '/v1/session', { username: 'alice', password: PASSWORD });
    t.advance(30_000);
    expect((await call('POST', '/v1/tokens/mfa', { challenge: crossed.json().mfa.challenge, code: totp.generate({ timestamp: t.clock.now() }) })).json().code).toBe('invalid_token');
  });

  it('refuses a code already used in its time step, a challenge past its lifetime, and accepts a recovery code once', async () => {
    const first = await verifiedAlice();
    const { totp, codes } = await enrolTotp(withCsrf(first));
    const login = async () => (await call('POST', '/v1/session', { username: 'alice', password: PASSWORD })).json().mfa.challenge as string;
    // The enrolment's own code spent this step.
    const reused = await call('POST', '/v1/session/mfa', { challenge: await login(), code: totp.generate({ timestamp: t.clock.now() }) });
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('invalid_credentials');
    const stale = await login();
    t.advance(5 * MINUTE);
    expect((await call('POST', '/v1/session/mfa', { challenge: stale, code: totp.generate({ timestamp: t.clock.now() }) })).json().code).toBe('invalid_token');
    const recovery = await call('POST', '/v1/session/mfa', { challenge: await login(), recoveryCode: codes[0]!.toUpperCase() });
    expect(recovery.statusCode).toBe(200);
    expect((await call('POST', '/v1/session/mfa', { challenge: await login(), recoveryCode: codes[0] })).statusCode).toBe(401);
    expect((await call('GET', '/v1/me/security', undefined, sessionCookie(recovery.cookies[0]!.value))).json().recoveryCodes).toBe(9);
  });

  it('throttles guessed codes like guessed passwords', async () => {
    const first = await verifiedAlice();
    await enrolTotp(withCsrf(first));
    const challenge = (await call('POST', '/v1/session', { username: 'alice', password: PASSWORD })).json().mfa.challenge;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call('POST', '/v1/session/mfa', { challenge, code: String(100000 + i) })).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const audit = await t.stores.audit.read(0, 1000);
    expect(audit.filter((e) => e.event === 'mfa_failure').length).toBeGreaterThanOrEqual(5);
  });

  it('answers 400 for a second step with no proof or two', async () => {
    const none = await call('POST', '/v1/session/mfa', { challenge: 'x.y' });
    const two = await call('POST', '/v1/session/mfa', { challenge: 'x.y', code: '123456', recoveryCode: 'abc' });
    for (const res of [none, two]) expect(res.statusCode).toBe(400);
  });
});

describe('step-up', () => {
  it('needs a recent authentication for a password change or a factor change', async () => {
    const session = await verifiedAlice();
    t.advance(11 * MINUTE);
    const change = await call('PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, withCsrf(session));
    expect(change.statusCode).toBe(401);
    expect(change.json().code).toBe('reauthentication_required');
    expect(change.headers['www-authenticate']).toBeDefined();
    expect((await call('POST', '/v1/me/totp', undefined, withCsrf(session))).json().code).toBe('reauthentication_required');
    expect((await call('PUT', '/v1/me/email', { email: 'a@b.example' }, withCsrf(session))).json().code).toBe('reauthentication_required');
    const again = await t.login('alice');
    expect((await call('PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, withCsrf(again))).statusCode).toBe(204);
    // The verified address hears of it.
    expect(t.mail.sent.at(-1)).toMatchObject({ to: 'Alice@Example.com', subject: 'Your password was changed' });
  });

  it('with a second factor enrolled, a password-only credential cannot change the password', async () => {
    const first = await verifiedAlice();
    await enrolTotp(withCsrf(first));
    // The session that enrolled was made with the password alone.
    const change = await call('PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, withCsrf(first));
    expect(change.json().code).toBe('reauthentication_required');
  });

  it('TESSERA_ADMIN_REQUIRE_MFA: admin routes need a credential with mfa', async () => {
    await t.close();
    t = await testApp({ TESSERA_ADMIN_REQUIRE_MFA: 'true' });
    await t.tessera.register('root', PASSWORD, null, 'admin');
    const pwd = await t.tokens('root');
    const refused = await call('GET', '/v1/admin/users', undefined, bearer(pwd.access));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('mfa_required');
    const session = await t.login('root');
    const enrol = await call('POST', '/v1/me/totp', undefined, withCsrf(session));
    const totp = totpFor(enrol.json().secret);
    await call('POST', '/v1/me/totp/confirm', { code: totp.generate({ timestamp: t.clock.now() }) }, withCsrf(session));
    t.advance(MINUTE);
    const challenge = (await call('POST', '/v1/tokens', { username: 'root', password: PASSWORD })).json().mfa.challenge;
    const mfa = await call('POST', '/v1/tokens/mfa', { challenge, code: totp.generate({ timestamp: t.clock.now() }) });
    expect((await call('GET', '/v1/admin/users', undefined, bearer(mfa.json().access_token))).statusCode).toBe(200);
  });
});

describe('administration of factors', () => {
  it('an admin resets a user’s factors: audited, every credential of the user revoked, password login alone works again', async () => {
    const first = await verifiedAlice();
    await enrolTotp(withCsrf(first));
    await t.tessera.register('root', PASSWORD, null, 'admin');
    const root = await t.tokens('root');
    const alice = (await t.tessera.findUserByName('alice'))!;
    const res = await call('DELETE', `/v1/admin/users/${alice.id}/factors`, undefined, bearer(root.access));
    expect(res.statusCode).toBe(204);
    expect((await call('GET', '/v1/me', undefined, sessionCookie(first.cookie))).json().code).toBe('session_revoked');
    expect((await call('POST', '/v1/session', { username: 'alice', password: PASSWORD })).statusCode).toBe(200);
    const audit = await t.stores.audit.read(0, 1000);
    expect(audit.find((e) => e.event === 'factors_reset')).toMatchObject({ userId: alice.id });
    expect((await call('DELETE', '/v1/admin/users/00000000-0000-7000-8000-000000000000/factors', undefined, bearer(root.access))).statusCode).toBe(404);
  });
});
