import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, MINUTE } from '../../src/core/clock.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp({ TESSERA_MAX_SESSIONS_PER_USER: '3' });
  await t.register('alice');
});
afterEach(() => t.close());

const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: sessionCookie(cookie) });
const code = async (cookie: string) => (await me(cookie)).json().code as string | undefined;

describe('POST /v1/session', () => {
  it('logs in with a __Host- cookie that is HttpOnly, Secure, SameSite=Lax, Path=/ and has no Domain', async () => {
    const { response, cookie, csrf } = await t.login('alice');
    const body = response.json();
    expect(body.user).toMatchObject({ username: 'alice', role: 'user' });
    expect(body.session).toEqual({
      id: cookie.split('.')[0],
      expiresAt: '2026-11-28T00:00:00.000Z',
      idleExpiresAt: '2026-11-27T12:30:00.000Z',
      amr: ['pwd'],
      authTime: '2026-11-27T12:00:00.000Z',
    });
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^__Host-tessera_session=[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('stores only a digest of the secret', async () => {
    const { cookie } = await t.login('alice');
    const [id, secret] = cookie.split('.');
    const stored = await t.stores.sessions.getSession(id!);
    expect(stored?.secretHash.toString('base64url')).not.toBe(secret);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('makes a new session at every login and never adopts the one the client sent (fixation)', async () => {
    const first = await t.login('alice');
    const planted = 'AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43);
    const res = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers: sessionCookie(planted) });
    const second = res.cookies.find((c) => c.name === '__Host-tessera_session')!.value;
    expect(second).not.toBe(planted);
    expect(second.split('.')[0]).not.toBe(first.cookie.split('.')[0]);
    expect((await me(first.cookie)).statusCode).toBe(200);
    expect((await me(second)).statusCode).toBe(200);
  });

  it('gives a remembered session a persistent cookie, 7 days idle and 30 days absolute', async () => {
    const { response, cookie } = await t.login('alice', PASSWORD, { remember: true });
    expect(String(response.headers['set-cookie'])).toContain('Max-Age=2592000');
    expect(response.json().session.idleExpiresAt).toBe('2026-12-04T12:00:00.000Z');
    t.advance(6 * 24 * HOUR);
    expect((await me(cookie)).statusCode).toBe(200);
    t.advance(6 * 24 * HOUR);
    expect((await me(cookie)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) {
      t.advance(6 * 24 * HOUR);
      expect((await me(cookie)).statusCode).toBe(200);
    }
    t.advance(6 * 24 * HOUR); // day 30
    expect(await code(cookie)).toBe('session_expired');
  });

  it('answers the same 401 for an unknown user, a wrong password and a disabled account', async () => {
    await t.register('bob');
    const bob = await t.tessera.findUserByName('bob');
    await t.tessera.updateUser(bob!.id, { disabled: true }, null);
    const answers = await Promise.all(
      [
        { username: 'nobody', password: PASSWORD },
        { username: 'alice', password: 'wrong password, long enough' },
        { username: 'bob', password: PASSWORD },
      ].map((payload) => t.app.inject({ method: 'POST', url: '/v1/session', payload })),
    );
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_credentials');
    }
    const strip = (h: Record<string, unknown>) => ({ ...h, date: undefined, 'content-length': undefined });
    expect(answers.map((r) => r.body)).toEqual([answers[0]!.body, answers[0]!.body, answers[0]!.body]);
    expect(strip(answers[1]!.headers)).toEqual(strip(answers[0]!.headers));
    expect(strip(answers[2]!.headers)).toEqual(strip(answers[0]!.headers));
  });

  it('caps live sessions per user: the oldest goes first', async () => {
    const sessions = [];
    for (let i = 0; i < 4; i++) {
      sessions.push((await t.login('alice')).cookie);
      t.advance(1000);
    }
    expect(await code(sessions[0]!)).toBe('session_revoked');
    for (const cookie of sessions.slice(1)) expect((await me(cookie)).statusCode).toBe(200);
  });
});

describe('GET /v1/session and lifetimes', () => {
  it('returns the session and its CSRF token', async () => {
    const { cookie, csrf } = await t.login('alice');
    const res = await t.app.inject({ method: 'GET', url: '/v1/session', headers: sessionCookie(cookie) });
    expect(res.statusCode).toBe(200);
    expect(res.json().csrfToken).toBe(csrf);
    expect(res.json().session.id).toBe(cookie.split('.')[0]);
  });

  it('expires after 30 idle minutes, early rather than late', async () => {
    const { cookie } = await t.login('alice');
    t.advance(29 * MINUTE);
    expect((await me(cookie)).statusCode).toBe(200);
    t.advance(29 * MINUTE); // 29 minutes since the last use
    expect((await me(cookie)).statusCode).toBe(200);
    t.advance(30 * MINUTE);
    expect(await code(cookie)).toBe('session_expired');
  });

  it('records use lazily: at most min(60 s, idle/4) late', async () => {
    const { cookie } = await t.login('alice');
    const id = cookie.split('.')[0]!;
    const created = (await t.stores.sessions.getSession(id))!.lastSeenAt;
    t.advance(30_000);
    await me(cookie);
    expect((await t.stores.sessions.getSession(id))!.lastSeenAt).toBe(created);
    t.advance(30_000);
    await me(cookie);
    expect((await t.stores.sessions.getSession(id))!.lastSeenAt).toBe(t.clock.now());
  });

  it('ends at the absolute lifetime of 12 h however busy it is', async () => {
    const { cookie } = await t.login('alice');
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.advance(20 * MINUTE);
      expect((await me(cookie)).statusCode).toBe(200);
    }
    t.advance(20 * MINUTE);
    expect(await code(cookie)).toBe('session_expired');
  });

  it('keeps the exact code for a day after the end, then forgets the session', async () => {
    const { cookie } = await t.login('alice');
    t.advance(HOUR);
    expect(await code(cookie)).toBe('session_expired');
    t.advance(24 * HOUR);
    await t.tessera.purge();
    expect(await code(cookie)).toBe('unauthenticated');
  });

  it.each([
    ['garbage'],
    ['a.b'],
    ['AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43)],
    ['AAAAAAAAAAAAAAAAAAAAAA=.' + 'B'.repeat(43)],
    ['%00%ff'],
    ['x'.repeat(5000)],
  ])('answers the malformed or unknown cookie %j with 401 unauthenticated', async (value) => {
    const res = await me(value);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });

  it('refuses a right id with a wrong secret', async () => {
    const { cookie } = await t.login('alice');
    const forged = `${cookie.split('.')[0]}.${'A'.repeat(43)}`;
    expect(await code(forged)).toBe('unauthenticated');
  });

  it('answers 401 unauthenticated without any credential', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthenticated');
  });
});

describe('DELETE /v1/session', () => {
  it('needs the CSRF token of a live session', async () => {
    const { cookie, csrf } = await t.login('alice');
    for (const headers of [{}, { 'x-csrf-token': 'A'.repeat(43) }, { 'x-csrf-token': csrf.slice(1) }]) {
      const res = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(cookie), ...headers } });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('csrf_failed');
    }
    expect((await me(cookie)).statusCode).toBe(200);
  });

  it('deletes the session on the server and clears the cookie', async () => {
    const { cookie, csrf } = await t.login('alice');
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(cookie), 'x-csrf-token': csrf } });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/^__Host-tessera_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(await code(cookie)).toBe('session_revoked');
  });

  it('is idempotent: a dead or missing session gets 204 and a cleared cookie without a CSRF check', async () => {
    const { cookie, csrf } = await t.login('alice');
    await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...sessionCookie(cookie), 'x-csrf-token': csrf } });
    for (const headers of [sessionCookie(cookie), sessionCookie('garbage'), {}]) {
      const res = await t.app.inject({ method: 'DELETE', url: '/v1/session', headers });
      expect(res.statusCode).toBe(204);
      expect(String(res.headers['set-cookie'])).toContain('Max-Age=0');
    }
  });
});
