import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, type RunningServer, eventually, startServer, workspace } from './harness.js';

// Each test runs the built binary several times, about a second each, slower when the suite runs in parallel.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

/**
 * The CLI and a running server on one SQLite file: what the CLI changes reaches the server through
 * the revocation log it polls (API.md, "Running"), so a demotion holds there within a second.
 */
const ws = workspace();
let server: RunningServer;

beforeAll(async () => {
  expect((await ws.cli(['user', 'create', 'root', '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(0);
  server = await startServer(ws);
});
afterAll(async () => {
  await server?.stop();
  ws.remove();
});

interface Reply {
  status: number;
  body: { code?: string; [key: string]: unknown };
  cookie: string | null;
}

async function call(method: string, path: string, options: { body?: unknown; bearer?: string; cookie?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'user-agent': 'cli-test/1.0' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.cookie = `__Host-tessera_session=${options.cookie}`;
  const res = await fetch(`${server.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  const cookie = /__Host-tessera_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? null;
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Reply['body']), cookie };
}

async function logIn(): Promise<{ access: string; session: string }> {
  const tokens = await call('POST', '/v1/tokens', { body: { username: 'root', password: PASSWORD } });
  const session = await call('POST', '/v1/session', { body: { username: 'root', password: PASSWORD } });
  expect([tokens.status, session.status]).toEqual([200, 200]);
  return { access: String(tokens.body.access_token), session: session.cookie ?? '' };
}

/** True once the request answers `status` with `code`: polled, since the change travels through the feed. */
const answers = (request: () => Promise<Reply>, status: number, code: string): Promise<boolean> =>
  eventually(async () => {
    const reply = await request();
    return reply.status === status && reply.body.code === code;
  });

describe('the CLI against a running server', () => {
  it('lists the sessions and token families that HTTP logins made', async () => {
    const { session } = await logIn();
    const { code, stdout } = await ws.cli(['sessions', 'list', 'root', '--json']);
    expect(code).toBe(0);
    const { sessions } = JSON.parse(stdout) as { sessions: Array<Record<string, unknown>> };
    expect(sessions.map((s) => s.kind)).toEqual(['token', 'cookie']);
    expect(sessions[1]).toEqual({ id: session.split('.')[0], kind: 'cookie', createdAt: expect.stringMatching(/Z$/), lastSeenAt: expect.stringMatching(/Z$/), expiresAt: expect.stringMatching(/Z$/), ip: '127.0.0.1', userAgent: 'cli-test/1.0' });
    const text = await ws.cli(['sessions', 'list', 'root']);
    expect(text.stdout).toMatch(/^ID +KIND +CREATED +LAST SEEN +EXPIRES +IP +USER AGENT\n/);
    expect(text.stdout).toContain(`${session.split('.')[0]}  cookie  `);
    expect(text.stdout).toContain('127.0.0.1  "cli-test/1.0"');
  });

  it('demotes: the copied access token is refused with token_revoked, the session is a plain user’s', async () => {
    const { access, session } = await logIn();
    expect((await call('GET', '/v1/me', { bearer: access })).body.role).toBe('admin');
    expect((await call('GET', '/v1/admin/users', { bearer: access })).status).toBe(200);

    expect(await ws.cli(['user', 'role', 'root', 'user'])).toMatchObject({ code: 0, stdout: 'root: admin -> user (access tokens issued before now are refused)\n' });
    expect(await answers(() => call('GET', '/v1/me', { bearer: access }), 401, 'token_revoked')).toBe(true);
    const sessionRole = async () => ((await call('GET', '/v1/session', { cookie: session })).body.user as { role?: string } | undefined)?.role;
    expect(await eventually(async () => (await sessionRole()) === 'user')).toBe(true);
    expect((await call('GET', '/v1/admin/users', { cookie: session })).status).toBe(403);
  });

  it('revokes every session and token: session_revoked and token_revoked', async () => {
    const { access, session } = await logIn();
    expect((await call('GET', '/v1/session', { cookie: session })).status).toBe(200);
    const revoked = await ws.cli(['sessions', 'revoke', 'root']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^root: revoked [1-9]\d* cookie sessions, [1-9]\d* token families and every access token issued until now\n$/);
    expect(await answers(() => call('GET', '/v1/session', { cookie: session }), 401, 'session_revoked')).toBe(true);
    expect(await answers(() => call('GET', '/v1/me', { bearer: access }), 401, 'token_revoked')).toBe(true);
    expect((await ws.cli(['sessions', 'list', 'root'])).stdout).toBe('root has no live sessions\n');
  });

  it('disables: the session answers session_revoked and logins fail', async () => {
    const { session } = await logIn();
    expect((await ws.cli(['user', 'disable', 'root'])).code).toBe(0);
    expect(await answers(() => call('GET', '/v1/session', { cookie: session }), 401, 'session_revoked')).toBe(true);
    const login = await call('POST', '/v1/session', { body: { username: 'root', password: PASSWORD } });
    expect([login.status, login.body.code]).toEqual([401, 'invalid_credentials']);
    expect((await ws.cli(['user', 'enable', 'root'])).code).toBe(0);
    expect((await call('POST', '/v1/session', { body: { username: 'root', password: PASSWORD } })).status).toBe(200);
    // A disable ended the session for good: an enable revives nothing.
    const after = await call('GET', '/v1/session', { cookie: session });
    expect([after.status, after.body.code]).toEqual([401, 'session_revoked']);
  });

  it('refuses an unknown user for sessions, exit 1', async () => {
    expect(await ws.cli(['sessions', 'list', 'nobody'])).toMatchObject({ code: 1, stderr: 'tessera: no user named "nobody"\n' });
    expect(await ws.cli(['sessions', 'revoke', 'nobody'])).toMatchObject({ code: 1, stderr: 'tessera: no user named "nobody"\n' });
  });
});
