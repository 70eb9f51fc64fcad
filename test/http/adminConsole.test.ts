import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStores } from '../../src/adapters/postgres/index.js';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';
import { POSTGRES_URL, serviceAvailable, uniqueName } from '../support/services.js';

/** What the admin console and the account page need (issue 12), on SQLite and PostgreSQL. */
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

const suites: Array<[string, () => Promise<TestApp>]> = [['sqlite', () => testApp()]];
if (await serviceAvailable('postgres')) suites.push(['postgres', () => testApp({}, (clock) => openPostgresStores(POSTGRES_URL, { clock, schema: uniqueName('admin_console'), poolSize: 4 }))]);

describe.each(suites)('admin console API on %s', (_name, open) => {
  let t: TestApp;
  let admin: string;
  const get = (url: string, token = admin) => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await open();
    for (const name of ['alice', 'Alicia', 'al_b', 'alxb', 'bob', 'carol']) await t.register(name);
    await t.tessera.register('root', PASSWORD, null, 'admin');
    admin = (await t.tokens('root')).access;
    const carol = (await t.tessera.findUserByName('carol'))!.id;
    expect((await t.app.inject({ method: 'PATCH', url: `/v1/admin/users/${carol}`, headers: { authorization: `Bearer ${admin}` }, payload: { disabled: true } })).statusCode).toBe(200);
  });
  afterAll(() => t?.close());

  const names = async (query: string) => ((await get(`/v1/admin/users?${query}`)).json().users as Array<{ username: string }>).map((u) => u.username).sort();

  it('searches by name prefix, case-insensitively, with wildcards taken literally', async () => {
    expect(await names('q=ali')).toEqual(['Alicia', 'alice']);
    expect(await names('q=ALI')).toEqual(['Alicia', 'alice']);
    expect(await names('q=al_')).toEqual(['al_b']);
    expect(await names('q=%25')).toEqual([]);
  });

  it('filters by role and disabled, and pages by cursor with the filters kept', async () => {
    expect(await names('role=admin')).toEqual(['root']);
    expect(await names('disabled=true')).toEqual(['carol']);
    expect(await names('disabled=false&role=user')).toEqual(['al_b', 'alice', 'Alicia', 'alxb', 'bob'].sort());
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const body: { users: Array<{ username: string }>; nextCursor: string | null } = (await get(`/v1/admin/users?q=al&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...body.users.map((u) => u.username));
      cursor = body.nextCursor;
    }
    expect(seen.sort()).toEqual(['Alicia', 'al_b', 'alice', 'alxb'].sort());
    expect((await get('/v1/admin/users?role=owner')).statusCode).toBe(400);
    expect((await get('/v1/admin/users?disabled=yes')).statusCode).toBe(400);
  });

  it('shows one user and their sessions with address and parsed device', async () => {
    const alice = (await t.tessera.findUserByName('alice'))!.id;
    await t.app.inject({ method: 'POST', url: '/v1/session', headers: { 'user-agent': CHROME_MAC }, payload: { username: 'alice', password: PASSWORD } });
    await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { 'user-agent': IPHONE }, payload: { username: 'alice', password: PASSWORD } });
    expect((await get(`/v1/admin/users/${alice}`)).json()).toMatchObject({ username: 'alice', role: 'user', disabled: false });
    const sessions = (await get(`/v1/admin/users/${alice}/sessions`)).json().sessions;
    expect(sessions.map((s: { device: { label: string; type: string } }) => s.device)).toEqual([
      { browser: 'Chrome 131', os: 'macOS', type: 'desktop', label: 'Chrome 131 on macOS' },
      { browser: 'Safari 17', os: 'iOS 17', type: 'mobile', label: 'Safari 17 on iOS 17' },
    ]);
    expect(sessions[0]).toMatchObject({ kind: 'cookie', ip: '127.0.0.1', current: false });
    expect((await get('/v1/admin/users/00000000-0000-4000-8000-000000000000/sessions')).statusCode).toBe(404);
    expect((await get(`/v1/admin/users/${alice}/sessions`, (await t.tokens('bob')).access)).statusCode).toBe(403);
  });

  it('reads the audit log by cursor and reports the chain as verified', async () => {
    type Entry = { seq: number; event: string; userId: string | null; username: string | null; reason: string | null; actor: { id: string; username: string | null } | null };
    // Newest first, every page, down to the first entry; the pages neither overlap nor skip one.
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page: { entries: Entry[]; nextCursor: string | null } = (await get(`/v1/admin/audit?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)).json();
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor !== null);
    const newest = (await t.tessera.auditTail(1))[0]!.seq;
    expect(newest).toBeGreaterThan(6);
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: newest }, (_, i) => newest - i));
    // Each entry names its user as they are called now.
    const alice = (await t.tessera.findUserByName('alice'))!.id;
    const registered = seen.find((e) => e.event === 'register' && e.userId === alice)!;
    expect(registered.username).toBe('alice');
    expect(seen.every((e) => e.userId === null || e.username !== null)).toBe(true);
    // An administrator's action names them: carol's disabling, by root.
    const root = (await t.tessera.findUserByName('root'))!.id;
    const disabled = seen.find((e) => e.event === 'user_disabled')!;
    expect(disabled).toMatchObject({ username: 'carol', actor: { id: root, username: 'root' } });
    expect(disabled.reason).toBe(`user_disabled (by ${root})`);
    expect(seen.filter((e) => e.event === 'register').every((e) => e.actor === null)).toBe(true);
    expect((await get('/v1/admin/audit?cursor=1')).json()).toEqual({ entries: [], nextCursor: null });
    expect((await get('/v1/admin/audit?cursor=-1')).statusCode).toBe(400);
    expect((await get('/v1/admin/audit/verification')).json()).toMatchObject({ ok: true, brokenAt: null });
  });
});
