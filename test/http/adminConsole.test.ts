import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp, testApp } from '../support/app.js';

/** What the admin console and the account page need from the server (issue 12). */
let t: TestApp;
let admin: Record<string, string>;
beforeEach(async () => {
  t = await testApp();
  await t.tessera.register('root', PASSWORD, null, 'admin');
  admin = { authorization: `Bearer ${(await t.tokens('root')).access}` };
});
afterEach(() => t.close());

const get = (url: string, headers = admin) => t.app.inject({ method: 'GET', url, headers });
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('GET /v1/admin/users with search and filters', () => {
  it('finds users by name prefix (as names compare), role and disabled flag, paged by cursor', async () => {
    for (const name of ['alice', 'Alicia', 'al_x', 'bob', 'alfred']) {
      t.advance(1); // ids follow creation, to the millisecond
      await t.register(name);
    }
    const alfred = (await t.tessera.findUserByName('alfred'))!;
    await t.tessera.updateUser(alfred.id, { disabled: true }, null);
    const names = async (query: string) => ((await get(`/v1/admin/users?${query}`)).json().users as Array<{ username: string }>).map((u) => u.username);
    expect(await names('q=ALI')).toEqual(['alice', 'Alicia']);
    expect(await names('q=al_')).toEqual(['al_x']); // `_` is no wildcard
    expect(await names('q=al&disabled=true')).toEqual(['alfred']);
    expect(await names('role=admin')).toEqual(['root']);
    expect(await names('q=al&disabled=false&role=user')).toEqual(['alice', 'Alicia', 'al_x']);
    const first = (await get('/v1/admin/users?q=al&limit=2')).json();
    expect(first.users.map((u: { username: string }) => u.username)).toEqual(['alice', 'Alicia']);
    const second = (await get(`/v1/admin/users?q=al&limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.users.map((u: { username: string }) => u.username)).toEqual(['al_x', 'alfred']);
    expect(second.nextCursor).toBeNull();
    expect((await get('/v1/admin/users?role=owner')).statusCode).toBe(400);
    expect((await get('/v1/admin/users?disabled=yes')).statusCode).toBe(400);
  });
});

describe('sessions with device and address', () => {
  it('parses the User-Agent of each session for the user and for an admin', async () => {
    await t.register('alice');
    await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: PASSWORD }, headers: { 'user-agent': CHROME } });
    const phone = await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { username: 'alice', password: PASSWORD }, headers: { 'user-agent': IPHONE } });
    const mine = (await get('/v1/me/sessions', { authorization: `Bearer ${phone.json().access_token}` })).json().sessions;
    expect(mine.map((s: { device: unknown; current: boolean }) => [s.device, s.current])).toEqual([
      [{ browser: 'Chrome 131', os: 'Linux', type: 'desktop' }, false],
      [{ browser: 'Safari 17', os: 'iOS', type: 'mobile' }, true],
    ]);
    expect(mine[0].ip).toBe('127.0.0.1');
    const alice = (await t.tessera.findUserByName('alice'))!;
    const theirs = (await get(`/v1/admin/users/${alice.id}/sessions`)).json().sessions;
    expect(theirs.map((s: { id: string }) => s.id)).toEqual(mine.map((s: { id: string }) => s.id));
    expect(theirs[0].current).toBeUndefined();
    expect((await get('/v1/admin/users/00000000-0000-7000-8000-000000000000/sessions')).statusCode).toBe(404);
    expect((await get(`/v1/admin/users/${alice.id}/sessions`, { authorization: `Bearer ${phone.json().access_token}` })).statusCode).toBe(403);
  });
});

describe('the audit log over HTTP', () => {
  it('pages newest first with names, and reports the chain', async () => {
    await t.register('alice');
    for (let i = 0; i < 3; i++) await t.login('alice');
    const first = (await get('/v1/admin/audit?limit=3')).json();
    expect(first.entries.map((e: { event: string }) => e.event)).toEqual(['login_success', 'login_success', 'login_success']);
    expect(first.entries[0]).toMatchObject({ username: 'alice', ip: '127.0.0.1' });
    expect(first.entries[0].hash).toBeUndefined();
    const seqs = first.entries.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => b - a));
    const rest = (await get(`/v1/admin/audit?limit=50&cursor=${first.nextCursor}`)).json();
    expect(rest.entries[0].seq).toBe(seqs.at(-1) - 1);
    expect(rest.entries.at(-1).seq).toBe(1);
    expect(rest.nextCursor).toBeNull();
    expect((await get('/v1/admin/audit?cursor=abc')).statusCode).toBe(400);
    const chain = (await get('/v1/admin/audit/chain')).json();
    expect(chain.ok).toBe(true);
    expect(chain.entries).toBeGreaterThanOrEqual(seqs[0]);
  });
});
