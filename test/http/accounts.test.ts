import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
  await t.register('alice');
  await t.register('bob');
  await t.tessera.register('root', PASSWORD, null, 'admin');
});
afterEach(() => t.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const as = (headers: Record<string, string>, method: 'GET' | 'DELETE' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
const idOf = async (name: string) => (await t.tessera.findUserByName(name))!.id;

describe('self-service: GET /v1/me/sessions', () => {
  it('lists live cookie sessions and token families together, the current one marked', async () => {
    const session = await t.login('alice');
    const pair = await t.tokens('alice');
    await t.tokens('bob');
    const res = await as(bearer(pair.access), 'GET', '/v1/me/sessions');
    expect(res.statusCode).toBe(200);
    const list = res.json().sessions as Array<Record<string, unknown>>;
    expect(list).toHaveLength(2);
    expect(list.map((s) => [s.kind, s.current])).toEqual([
      ['cookie', false],
      ['token', true],
    ]);
    expect(list[0]).toEqual({
      id: session.cookie.split('.')[0],
      kind: 'cookie',
      createdAt: '2026-11-27T12:00:00.000Z',
      lastSeenAt: '2026-11-27T12:00:00.000Z',
      expiresAt: '2026-11-27T12:30:00.000Z',
      ip: '127.0.0.1',
      userAgent: 'lightMyRequest',
      current: false,
      device: { browser: '', os: '', type: '', label: 'lightMyRequest' },
    });
  });
});

describe('self-service: DELETE /v1/me/sessions/{id} and DELETE /v1/me/sessions', () => {
  it('revokes one of mine, and answers 404 for another user’s id', async () => {
    const mine = await t.login('alice');
    const other = await t.login('bob');
    const pair = await t.tokens('alice');
    const foreign = await as(bearer(pair.access), 'DELETE', `/v1/me/sessions/${other.cookie.split('.')[0]}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('not_found');
    expect((await as(sessionCookie(other.cookie), 'GET', '/v1/me')).statusCode).toBe(200);
    const res = await as(bearer(pair.access), 'DELETE', `/v1/me/sessions/${mine.cookie.split('.')[0]}`);
    expect(res.statusCode).toBe(204);
    expect((await as(sessionCookie(mine.cookie), 'GET', '/v1/me')).json().code).toBe('session_revoked');
  });

  it('needs the CSRF token when the caller is a cookie session', async () => {
    const a = await t.login('alice');
    const b = await t.login('alice');
    const refused = await as(sessionCookie(a.cookie), 'DELETE', `/v1/me/sessions/${b.cookie.split('.')[0]}`);
    expect(refused.statusCode).toBe(403);
    const ok = await as({ ...sessionCookie(a.cookie), 'x-csrf-token': a.csrf }, 'DELETE', `/v1/me/sessions/${b.cookie.split('.')[0]}`);
    expect(ok.statusCode).toBe(204);
  });

  it('revokes all but the current one, each by its id', async () => {
    const keep = await t.login('alice');
    const s2 = await t.login('alice');
    const p1 = await t.tokens('alice');
    const bob = await t.login('bob');
    const res = await as({ ...sessionCookie(keep.cookie), 'x-csrf-token': keep.csrf }, 'DELETE', '/v1/me/sessions');
    expect(res.statusCode).toBe(204);
    expect((await as(sessionCookie(keep.cookie), 'GET', '/v1/me')).statusCode).toBe(200);
    expect((await as(sessionCookie(s2.cookie), 'GET', '/v1/me')).json().code).toBe('session_revoked');
    expect((await as(bearer(p1.access), 'GET', '/v1/me')).json().code).toBe('token_revoked');
    expect((await as(sessionCookie(bob.cookie), 'GET', '/v1/me')).statusCode).toBe(200);
  });
});

describe('self-service: PUT /v1/me/password', () => {
  const NEW = 'a brand new passphrase, long enough';

  it('changes the password and revokes every other session and family, the caller’s own living on', async () => {
    const other = await t.login('alice');
    const otherTokens = await t.tokens('alice');
    const pair = await t.tokens('alice');
    const res = await as(bearer(pair.access), 'PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW });
    expect(res.statusCode).toBe(204);
    expect((await as(bearer(pair.access), 'GET', '/v1/me')).statusCode).toBe(200);
    expect((await as(sessionCookie(other.cookie), 'GET', '/v1/me')).json().code).toBe('session_revoked');
    expect((await as(bearer(otherTokens.access), 'GET', '/v1/me')).json().code).toBe('token_revoked');
    const old = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } });
    expect(old.statusCode).toBe(401);
    expect((await t.login('alice', NEW)).cookie).not.toBe('');
  });

  it('answers a wrong current password with invalid_credentials, counted towards the throttle', async () => {
    const pair = await t.tokens('alice');
    for (let i = 0; i < 5; i++) {
      const res = await as(bearer(pair.access), 'PUT', '/v1/me/password', { currentPassword: `wrong password number ${i}`, newPassword: NEW });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_credentials');
    }
    const throttled = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD } });
    expect(throttled.statusCode).toBe(429);
  });

  it('applies the password policy to the new password', async () => {
    const pair = await t.tokens('alice');
    const res = await as(bearer(pair.access), 'PUT', '/v1/me/password', { currentPassword: PASSWORD, newPassword: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'newPassword', code: 'too_short', message: expect.any(String) }]);
  });
});

describe('administration', () => {
  it('refuses non-admins with 403 forbidden and anonymous callers with 401', async () => {
    const pair = await t.tokens('alice');
    for (const [method, url] of [['GET', '/v1/admin/users'], ['PATCH', `/v1/admin/users/${await idOf('bob')}`], ['DELETE', `/v1/admin/users/${await idOf('bob')}/sessions`]] as const) {
      const res = await as(bearer(pair.access), method, url, method === 'PATCH' ? { role: 'admin' } : undefined);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden');
      expect((await as({}, method, url)).statusCode).toBe(401);
    }
  });

  it('lists users a page at a time with an opaque cursor', async () => {
    const admin = await t.tokens('root');
    for (let i = 0; i < 4; i++) await t.register(`user${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await as(bearer(admin.access), 'GET', `/v1/admin/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.users.length).toBeLessThanOrEqual(3);
      seen.push(...body.users.map((u: { username: string }) => u.username));
      cursor = body.nextCursor;
    } while (cursor);
    // Every user exactly once (ids made in the same millisecond of the manual clock sort randomly).
    expect([...seen].sort()).toEqual(['alice', 'bob', 'root', 'user0', 'user1', 'user2', 'user3']);
    expect((await as(bearer(admin.access), 'GET', '/v1/admin/users?limit=ten')).statusCode).toBe(400);
  });

  it('changes role and disabled, with 400 for an unknown role and 404 for an unknown id', async () => {
    const admin = await t.tokens('root');
    const bob = await idOf('bob');
    const res = await as(bearer(admin.access), 'PATCH', `/v1/admin/users/${bob}`, { role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: bob, username: 'bob', role: 'admin', disabled: false });
    expect((await as(bearer(admin.access), 'PATCH', `/v1/admin/users/${bob}`, { role: 'superuser' })).statusCode).toBe(400);
    expect((await as(bearer(admin.access), 'PATCH', `/v1/admin/users/${bob}`, { disabled: 'yes' })).statusCode).toBe(400);
    const missing = await as(bearer(admin.access), 'PATCH', '/v1/admin/users/00000000-0000-7000-8000-000000000000', { role: 'user' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not_found');
  });

  it('disables an account: its sessions get session_revoked, its tokens token_revoked, its logins invalid_credentials', async () => {
    const admin = await t.tokens('root');
    const session = await t.login('alice');
    const pair = await t.tokens('alice');
    await as(bearer(admin.access), 'PATCH', `/v1/admin/users/${await idOf('alice')}`, { disabled: true });
    expect((await as(sessionCookie(session.cookie), 'GET', '/v1/me')).json().code).toBe('session_revoked');
    expect((await as(bearer(pair.access), 'GET', '/v1/me')).json().code).toBe('token_revoked');
    const login = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD } });
    expect(login.json().code).toBe('invalid_credentials');
  });

  it('revokes every session and token family of a user', async () => {
    const admin = await t.tokens('root');
    const session = await t.login('alice');
    const pair = await t.tokens('alice');
    const res = await as(bearer(admin.access), 'DELETE', `/v1/admin/users/${await idOf('alice')}/sessions`);
    expect(res.statusCode).toBe(204);
    expect((await as(sessionCookie(session.cookie), 'GET', '/v1/me')).json().code).toBe('session_revoked');
    expect((await as(bearer(pair.access), 'GET', '/v1/me')).json().code).toBe('token_revoked');
    expect((await as(bearer(admin.access), 'DELETE', '/v1/admin/users/00000000-0000-7000-8000-000000000000/sessions')).statusCode).toBe(404);
  });

  it('the seed’s attack: a demoted admin replays a copied token and gets token_revoked; the session turns user; refresh mints only the new role', async () => {
    await t.tessera.register('eve', PASSWORD, null, 'admin');
    const root = await t.tokens('root');
    const copied = await t.tokens('eve');
    const session = await t.login('eve');
    expect((await as(bearer(copied.access), 'GET', '/v1/admin/users')).statusCode).toBe(200);
    await as(bearer(root.access), 'PATCH', `/v1/admin/users/${await idOf('eve')}`, { role: 'user' });
    const replay = await as(bearer(copied.access), 'GET', '/v1/admin/users');
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('token_revoked');
    expect((await as(sessionCookie(session.cookie), 'GET', '/v1/me')).json().role).toBe('user');
    expect((await as(sessionCookie(session.cookie), 'GET', '/v1/admin/users')).statusCode).toBe(403);
    const refreshed = await t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: copied.refresh } });
    const renewed = refreshed.json().access_token as string;
    expect(JSON.parse(Buffer.from(renewed.split('.')[1]!, 'base64url').toString()).role).toBe('user');
    expect((await as(bearer(renewed), 'GET', '/v1/admin/users')).statusCode).toBe(403);
  });
});
