import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../src/adapters/sqlite/index.js';
import { SECOND } from '../../src/core/clock.js';
import { verifyAuditChain } from '../../src/core/audit.js';
import { AUDIT_EVENTS, type StoredAuditEntry } from '../../src/core/model.js';
import type { PasswordHasher, Stores } from '../../src/core/ports.js';
import { Argon2Hasher } from '../../src/adapters/argon2.js';
import { loggerOptions } from '../../src/logger.js';
import { Secret, TOTP } from 'otpauth';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';
import { type CustomApp, cookieHeader, customApp, expectProblem, fileStores, tempDatabase } from './attack.js';

/**
 * The audit trail and the logs (ASVS 5.0 V16.2.1, V16.2.5, V16.3.1-V16.3.3, V16.4.2, V16.5.1; OWASP
 * Logging cheat sheet). Every security event is recorded with time, user, address, user agent and
 * reason; the chain is tamper-evident; no password, session secret, refresh token or JWT is ever stored
 * or logged.
 */

const UA = 'attack-suite/1.0 (audit)';
const IP = '198.51.100.23';
const WRONG = 'this is not the password, sorry';
const NEW_PASSWORD = 'an entirely new passphrase 2026';

/** Everything a credential-bearing response handed out in the flow, for the grep. */
const secrets = new Set<string>([PASSWORD, WRONG, NEW_PASSWORD]);
function keep(...values: Array<string | undefined>): void {
  for (const value of values) {
    if (!value) continue;
    secrets.add(value);
    // The secret halves of id.secret credentials, and the signature of a JWT, on their own.
    const parts = value.split('.');
    if (parts.length === 2) secrets.add(parts[1]!);
    if (parts.length === 3) secrets.add(parts[2]!);
  }
}

let t: TestApp;
let db: ReturnType<typeof tempDatabase>;
afterEach(async () => {
  await t.close();
  db.remove();
});

const H = { 'user-agent': UA, 'x-forwarded-for': IP };
const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload, headers: { ...H, ...headers } });

async function loginSession(username: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const res = await post('/v1/session', { username, password });
  expect(res.statusCode).toBe(200);
  const cookie = res.cookies.find((c) => c.name === '__Host-tessera_session')!.value;
  keep(cookie, res.json().csrfToken);
  return { cookie, csrf: res.json().csrfToken };
}

async function loginTokens(username: string): Promise<{ access: string; refresh: string }> {
  const res = await post('/v1/tokens', { username, password: PASSWORD });
  expect(res.statusCode).toBe(200);
  keep(res.json().access_token, res.json().refresh_token);
  return { access: res.json().access_token, refresh: res.json().refresh_token };
}

/** The token in the fragment of the newest link mailed to `to`. */
function mailedToken(to: string, subject: RegExp): string {
  const token = new URLSearchParams(new URL(t.mail.linkTo(to, subject)!).hash.slice(1)).get('token')!;
  keep(token.split('.')[1]);
  return token;
}

/**
 * The account lifecycle's events: an address set and verified, TOTP enrolled, a wrong code, recovery
 * codes, TOTP removed, a reset requested and completed, an administrator's factor reset. Passkey
 * events are proven in Chromium (test/e2e/passkeys.test.ts), where an authenticator exists.
 */
async function lifecycleFlow(admin: Record<string, string>): Promise<void> {
  expect((await post('/v1/users', { username: 'carol', password: PASSWORD })).statusCode).toBe(201);
  const first = await loginSession('carol');
  const auth = (s: { cookie: string; csrf: string }) => ({ ...cookieHeader({ '__Host-tessera_session': s.cookie }), 'x-csrf-token': s.csrf, ...H });
  const put = await t.app.inject({ method: 'PUT', url: '/v1/me/email', payload: { email: 'carol@example.com' }, headers: auth(first) });
  expect(put.statusCode).toBe(200);
  expect((await post('/v1/email/verify', { token: mailedToken('carol@example.com', /Confirm/) })).statusCode).toBe(200);
  const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/totp', headers: auth(first) });
  keep(enrol.json().secret);
  const totp = new TOTP({ secret: Secret.fromBase32(enrol.json().secret), algorithm: 'SHA1', digits: 6, period: 30 });
  expect((await t.app.inject({ method: 'POST', url: '/v1/me/totp/confirm', payload: { code: totp.generate({ timestamp: t.clock.now() }) }, headers: auth(first) })).statusCode).toBe(200);
  t.advance(30 * SECOND);
  const challenge = (await post('/v1/session', { username: 'carol', password: PASSWORD })).json().mfa.challenge;
  expect((await post('/v1/session/mfa', { challenge, code: '000000' })).statusCode).toBe(401);
  const mfa = await post('/v1/session/mfa', { challenge, code: totp.generate({ timestamp: t.clock.now() }) });
  const strong = { cookie: mfa.cookies.find((c) => c.name === '__Host-tessera_session')!.value, csrf: mfa.json().csrfToken as string };
  const codes = await t.app.inject({ method: 'POST', url: '/v1/me/recovery-codes', headers: auth(strong) });
  expect(codes.statusCode).toBe(200);
  keep(...(codes.json().recoveryCodes as string[]));
  expect((await t.app.inject({ method: 'DELETE', url: '/v1/me/totp', headers: auth(strong) })).statusCode).toBe(204);
  expect((await post('/v1/password/forgot', { identifier: 'carol' })).statusCode).toBe(202);
  await t.tessera.deliverMail();
  expect((await post('/v1/password/reset', { token: mailedToken('carol@example.com', /Reset/), newPassword: NEW_PASSWORD })).statusCode).toBe(204);
  const carol = (await t.tessera.findUserByName('carol'))!;
  expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${carol.id}/factors`, headers: admin })).statusCode).toBe(204);
}

/** Runs every kind of security event through the HTTP app (and the operator's key rotation). */
async function securityEventsFlow(): Promise<void> {
  expect((await post('/v1/users', { username: 'alice', password: PASSWORD })).statusCode).toBe(201);
  await t.tessera.register('root', PASSWORD, null, 'admin');
  await loginSession('alice');
  for (let i = 0; i < 5; i++) expectProblem(await post('/v1/session', { username: 'alice', password: WRONG }), 401, 'invalid_credentials');
  expectProblem(await post('/v1/session', { username: 'alice', password: PASSWORD }), 429, 'rate_limited');
  t.advance(SECOND);
  const session = await loginSession('alice');
  const other = await loginSession('alice');
  // Refresh reuse after the interval: theft detected, family revoked.
  const stolen = await loginTokens('alice');
  const rotated = await post('/v1/tokens/refresh', { refresh_token: stolen.refresh });
  keep(rotated.json().access_token, rotated.json().refresh_token);
  t.advance(11 * SECOND);
  expectProblem(await post('/v1/tokens/refresh', { refresh_token: stolen.refresh }), 401, 'refresh_token_reused');
  // RFC 7009 revocation of another family.
  const revoked = await loginTokens('alice');
  expect((await post('/v1/tokens/revoke', { token: revoked.refresh })).statusCode).toBe(200);
  // The user ends one other session, changes the password (ending the rest), and logs out.
  const auth = { ...cookieHeader({ '__Host-tessera_session': session.cookie }), 'x-csrf-token': session.csrf, ...H };
  const otherId = other.cookie.split('.')[0]!;
  expect((await t.app.inject({ method: 'DELETE', url: `/v1/me/sessions/${otherId}`, headers: auth })).statusCode).toBe(204);
  await loginTokens('alice');
  const change = await t.app.inject({ method: 'PUT', url: '/v1/me/password', payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, headers: auth });
  expect(change.statusCode).toBe(204);
  expect((await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: auth })).statusCode).toBe(204);
  // The administrator promotes, demotes, disables, enables and revokes everything.
  const root = await loginSession('root');
  const alice = (await t.tessera.findUserByName('alice'))!;
  const admin = { ...cookieHeader({ '__Host-tessera_session': root.cookie }), 'x-csrf-token': root.csrf, ...H };
  for (const change of [{ role: 'admin' }, { role: 'user' }, { disabled: true }, { disabled: false }]) {
    const res = await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${alice.id}`, payload: change, headers: admin });
    expect(res.statusCode).toBe(200);
  }
  await loginSession('alice', NEW_PASSWORD);
  expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/users/${alice.id}/sessions`, headers: admin })).statusCode).toBe(204);
  await t.tessera.rotateKeys({ ip: IP, userAgent: UA });
  await lifecycleFlow(admin);
  // Registration attempts from one address past the hourly allowance (a taken name costs no hash).
  let last = 0;
  for (let i = 0; i < 31; i++) {
    last = (await t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: 'alice', password: PASSWORD }, headers: H })).statusCode;
  }
  expect(last).toBe(429);
}

describe('the audit trail', () => {
  it('records every security event with time, user, address, user agent and reason', async () => {
    db = tempDatabase();
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' }, fileStores(db.path));
    const startedAt = t.clock.now();
    await securityEventsFlow();
    const entries = await t.stores.audit.read(0, 1000);
    const alice = (await t.tessera.findUserByName('alice'))!;
    const proven = AUDIT_EVENTS.filter((event) => event !== 'passkey_added' && event !== 'passkey_removed');
    expect(new Set(entries.map((e) => e.event))).toEqual(new Set(proven));
    const fromHttp = entries.filter((e) => e.ip !== null);
    // Only the operator's own actions (creating root) lack a client.
    expect(entries.filter((e) => e.ip === null).map((e) => e.event)).toEqual(['register']);
    for (const entry of fromHttp) {
      expect(entry).toMatchObject({ ip: IP, userAgent: UA });
      expect(entry.at).toBeGreaterThanOrEqual(startedAt);
      expect(entry.at).toBeLessThanOrEqual(t.clock.now());
    }
    const find = (event: string, reason?: string): StoredAuditEntry | undefined =>
      entries.find((e) => e.event === event && (reason === undefined || e.reason === reason));
    expect(find('login_failure')).toMatchObject({ userId: alice.id, reason: 'login' });
    expect(find('login_throttled')?.reason).toBe('login: account alice');
    expect(find('refresh_reuse_detected')).toMatchObject({ userId: alice.id, reason: 'generation 0 of 1' });
    expect(find('family_revoked', 'refresh_token_reused')?.userId).toBe(alice.id);
    expect(find('family_revoked', 'revoked')?.userId).toBe(alice.id);
    expect(find('session_revoked', 'revoked_by_user')?.userId).toBe(alice.id);
    expect(find('session_revoked', 'password_changed')?.userId).toBe(alice.id);
    expect(find('family_revoked', 'password_changed')?.userId).toBe(alice.id);
    expect(find('logout')).toMatchObject({ userId: alice.id, reason: 'logout' });
    // The acting administrator is named in what an administrator does.
    const rootId = (await t.tessera.findUserByName('root'))!.id;
    expect(entries.filter((e) => e.event === 'role_changed').map((e) => e.reason)).toEqual([`user -> admin (by ${rootId})`, `admin -> user (by ${rootId})`]);
    expect(find('user_disabled')?.reason).toBe(`user_disabled (by ${rootId})`);
    expect(find('user_disabled')?.userId).toBe(alice.id);
    expect(find('user_revoked')?.userId).toBe(alice.id);
    expect(find('key_rotated')?.reason).toMatch(/^new kid [\w-]+$/);
    expect(await verifyAuditChain(t.stores.audit)).toEqual({ ok: true, entries: entries.length });
  });

  it('never stores a password, session secret, CSRF token, refresh token or JWT: not in the audit rows, nor anywhere in the database files', async () => {
    db = tempDatabase();
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' }, fileStores(db.path));
    await securityEventsFlow();
    expect(secrets.size).toBeGreaterThan(20);
    const audit = JSON.stringify(await t.stores.audit.read(0, 1000));
    const files = [db.path, `${db.path}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('latin1'));
    expect(files.join('')).toContain('alice'); // the control: the grep does see what is stored
    for (const secret of secrets) {
      expect(audit.includes(secret), `audit trail holds ${secret.slice(0, 12)}…`).toBe(false);
      for (const file of files) expect(file.includes(secret), `database holds ${secret.slice(0, 12)}…`).toBe(false);
    }
  });

  it('detects an edited, a deleted and a reordered entry', async () => {
    db = tempDatabase();
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' }, fileStores(db.path));
    await securityEventsFlow();
    const total = (await verifyAuditChain(t.stores.audit)).entries;
    expect(total).toBeGreaterThan(20);
    const raw = new BetterSqlite3(db.path);
    const verify = () => verifyAuditChain(t.stores.audit);
    const row = (seq: number) => raw.prepare('select * from audit_log where seq = ?').get(seq) as Record<string, unknown>;
    const put = (seq: number, values: Record<string, unknown>) =>
      raw.prepare('update audit_log set at = @at, event = @event, user_id = @user_id, ip = @ip, user_agent = @user_agent, reason = @reason, hash = @hash where seq = @seq').run({ ...values, seq });
    try {
      // Each tampering is undone after its check, which also proves the check is exact.
      const seven = row(7);
      raw.prepare("update audit_log set reason = 'nothing to see' where seq = 7").run();
      expect(await verify()).toEqual({ ok: false, entries: 6, brokenAt: 7 });
      raw.prepare("update audit_log set user_id = 'someone-else' where seq = 7").run();
      expect(await verify()).toEqual({ ok: false, entries: 6, brokenAt: 7 });
      put(7, seven);
      expect(await verify()).toEqual({ ok: true, entries: total });
      const three = row(3);
      raw.prepare('delete from audit_log where seq = 3').run();
      expect(await verify()).toEqual({ ok: false, entries: 2, brokenAt: 4 });
      raw.prepare('insert into audit_log (seq, at, event, user_id, ip, user_agent, reason, hash) values (@seq, @at, @event, @user_id, @ip, @user_agent, @reason, @hash)').run(three);
      expect(await verify()).toEqual({ ok: true, entries: total });
      const [ten, eleven] = [row(10), row(11)];
      put(10, eleven);
      put(11, ten);
      expect(await verify()).toEqual({ ok: false, entries: 9, brokenAt: 10 });
      put(10, ten);
      put(11, eleven);
      expect(await verify()).toEqual({ ok: true, entries: total });
    } finally {
      raw.close();
    }
  });
});

describe('the logs', () => {
  it('hold no password, session secret, refresh token, CSRF token or JWT, through login, refresh and an unexpected error', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    let failNext = false;
    const failing = async (clock: Parameters<typeof openSqliteStores>[1]['clock']): Promise<Stores> => {
      const stores = await openSqliteStores(':memory:', { clock });
      const users = stores.users;
      return {
        ...stores,
        users: {
          createUser: (user) => users.createUser(user),
          findUserByKey: (key) => users.findUserByKey(key),
          findUserByEmail: (key) => users.findUserByEmail(key),
          updateUser: (id, patch) => users.updateUser(id, patch),
          listUsers: (options) => users.listUsers(options),
          lockUser: (id) => users.lockUser(id),
          findUserById: (id) => {
            if (failNext) {
              failNext = false;
              return Promise.reject(new Error('simulated store failure'));
            }
            return users.findUserById(id);
          },
        },
      };
    };
    let hasherFails = false;
    const real = new Argon2Hasher({ concurrency: 4, queue: 64 });
    const hasher: PasswordHasher = {
      hash: (password) => real.hash(password),
      needsRehash: (hash) => real.needsRehash(hash),
      saturated: () => real.saturated(),
      verify: (hash, password) => (hasherFails ? Promise.reject(new Error('simulated hasher failure')) : real.verify(hash, password)),
    };
    db = tempDatabase();
    const app: CustomApp = await customApp({ stores: failing, hasher, logger: { ...(loggerOptions('trace') as object), stream: sink } });
    t = app as unknown as TestApp;
    const request = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
      app.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...H, ...headers } });
    expect((await request('POST', '/v1/users', { username: 'alice', password: PASSWORD })).statusCode).toBe(201);
    expectProblem(await request('POST', '/v1/session', { username: 'alice', password: WRONG }), 401, 'invalid_credentials');
    const session = await request('POST', '/v1/session', { username: 'alice', password: PASSWORD });
    const cookie = session.cookies.find((c) => c.name === '__Host-tessera_session')!.value;
    keep(cookie, session.json().csrfToken);
    const tokens = await request('POST', '/v1/tokens', { username: 'alice', password: PASSWORD });
    keep(tokens.json().access_token, tokens.json().refresh_token);
    const rotated = await request('POST', '/v1/tokens/refresh', { refresh_token: tokens.json().refresh_token });
    keep(rotated.json().access_token, rotated.json().refresh_token);
    // An unexpected error in the middle of a credential-laden request.
    failNext = true;
    const broken = await request(
      'PUT',
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      { authorization: `Bearer ${rotated.json().access_token}`, cookie: `__Host-tessera_session=${cookie}`, 'x-csrf-token': session.json().csrfToken },
    );
    expectProblem(broken, 503, 'unavailable');
    expect(broken.body).not.toContain('simulated store failure');
    // And an unexpected error (not a store's) during a login that carries a password: a bare 500.
    hasherFails = true;
    const crashed = await request('POST', '/v1/session', { username: 'alice', password: PASSWORD }, { authorization: `Bearer ${tokens.json().access_token}` });
    expectProblem(crashed, 500, 'internal_error');
    expect(crashed.json()).not.toHaveProperty('detail');
    expect(crashed.body).not.toContain('simulated hasher failure');
    const log = lines.join('');
    // The control: both errors were logged, so the grep below reads real log lines.
    expect(log).toContain('simulated store failure');
    expect(log).toContain('simulated hasher failure');
    for (const secret of secrets) expect(log.includes(secret), `log holds ${secret.slice(0, 12)}…`).toBe(false);
  });
});
