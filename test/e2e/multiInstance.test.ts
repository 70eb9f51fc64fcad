import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPostgresSchema } from '../../src/adapters/postgres/index.js';
import { parseConfig } from '../../src/config.js';
import { openTessera } from '../../src/runtime.js';
import { POSTGRES_URL, serviceAvailable, uniqueName } from '../support/services.js';
import { ROOT, type Started, freePort, start, startRedis, startServer, tempDir, within } from '../support/processes.js';
import { PASSWORD, bearer, call, cookie, json, login, tokens } from './client.js';

/**
 * Three server processes on one PostgreSQL and one Redis, plus a process using the verifier library
 * (issue "Scale-out"). Redis is a server of the test's own, so that it can be killed and restarted.
 * Propagation is asserted with a generous bound for a 2-core machine; bench/ measures the real figure.
 */
const available = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));
const BOUND_MS = 3000;
const ISSUER = 'http://tessera.test';
const FEED_SECRET = 'feed-secret-for-the-multi-instance-test';

describe.skipIf(!available)('three instances on PostgreSQL and Redis, and a verifier process', () => {
  const schema = uniqueName('mi').toLowerCase();
  const dir = tempDir('tessera-mi');
  let redis: Started & { url: string; port: number };
  let servers: Array<Started & { url: string }> = [];
  const verifiers: Started[] = [];
  let env: Record<string, string>;
  let A: string, B: string, C: string;


  async function startVerifier(): Promise<{ process: Started; url: string }> {
    const port = await freePort();
    const child = start('node', [join(ROOT, 'test/e2e/verifierProcess.mjs')], {
      VERIFIER_PORT: String(port),
      ISSUER,
      JWKS_URL: `${A}/.well-known/jwks.json`,
      REDIS_URL: redis.url,
      REDIS_PREFIX: env.TESSERA_REDIS_PREFIX!,
      STALENESS: env.TESSERA_REVOCATION_MAX_STALENESS!,
    });
    verifiers.push(child);
    const url = `http://127.0.0.1:${port}`;
    await within(15_000, async () => (await fetch(url).then(() => true)), 'verifier process');
    return { process: child, url };
  }
  let V: string;

  const refusedEverywhere = (headers: Record<string, string>, code: string, urls: string[]) =>
    within(BOUND_MS, async () => {
      const answers = await Promise.all(urls.map(async (url) => json(await call(url, 'GET', url === V ? '/' : '/v1/me', headers))));
      return answers.every((a) => a.status === 401 && a.body.code === code);
    }, `refused with ${code} on every instance`);

  beforeAll(async () => {
    redis = await startRedis(dir);
    env = {
      TESSERA_DATABASE_URL: `${POSTGRES_URL}?schema=${schema}`,
      TESSERA_REDIS_URL: redis.url,
      TESSERA_REDIS_PREFIX: `${schema}:`,
      TESSERA_ISSUER: ISSUER,
      TESSERA_FEED_SECRET: FEED_SECRET,
      TESSERA_REVOCATION_MAX_STALENESS: '3',
    };
    // The first admin is made the way an operator would: through the core, before the servers start.
    const setup = await openTessera(parseConfig(env));
    await setup.register('root', PASSWORD, null, 'admin');
    for (const name of ['alice', 'bob', 'carol', 'dave']) await setup.register(name, PASSWORD, null, name === 'bob' ? 'admin' : 'user');
    await setup.close();
    servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
    [A, B, C] = servers.map((s) => s.url) as [string, string, string];
    V = (await startVerifier()).url;
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...servers, ...verifiers].map((p) => p.stop()));
    await redis?.stop();
    if (available) await dropPostgresSchema(POSTGRES_URL, schema);
  }, 30_000);

  it('serves a session made on A from B and C', async () => {
    const { cookie: value } = await login(A, 'alice');
    for (const url of [B, C]) {
      const me = await json(await call(url, 'GET', '/v1/me', cookie(value)));
      expect(me.status).toBe(200);
      expect(me.body.username).toBe('alice');
    }
  });

  it('refreshes on B a token issued on A, and the verifier process accepts it', async () => {
    const pair = await tokens(A, 'alice');
    const renewed = await json(await call(B, 'POST', '/v1/tokens/refresh', {}, { refresh_token: pair.refresh }));
    expect(renewed.status).toBe(200);
    expect((await json(await call(V, 'GET', '/', bearer(renewed.body.access_token as string)))).body.name).toBe('alice');
  });

  it('refuses a session logged out on C, on A and B, within the bound', async () => {
    const session = await login(A, 'carol');
    for (const url of [A, B]) expect((await call(url, 'GET', '/v1/me', cookie(session.cookie))).status).toBe(200); // now cached
    const out = await call(C, 'DELETE', '/v1/session', { ...cookie(session.cookie), 'x-csrf-token': session.csrf });
    expect(out.status).toBe(204);
    await refusedEverywhere(cookie(session.cookie), 'session_revoked', [A, B]);
  });

  it('refuses a family revoked on C, on A, B and the verifier process', async () => {
    const pair = await tokens(A, 'carol');
    for (const url of [A, B, V]) expect((await call(url, 'GET', url === V ? '/' : '/v1/me', bearer(pair.access))).status).toBe(200);
    expect((await call(C, 'POST', '/v1/tokens/revoke', {}, { token: pair.refresh })).status).toBe(200);
    await refusedEverywhere(bearer(pair.access), 'token_revoked', [A, B, V]);
  });

  it('refuses a demoted admin’s copied token everywhere; their refresh mints the new role', async () => {
    const admin = await tokens(A, 'root');
    const bob = await tokens(B, 'bob');
    for (const url of [A, B, V]) expect((await json(await call(url, 'GET', url === V ? '/' : '/v1/me', bearer(bob.access)))).body.role).toBe('admin');
    const bobId = (await json(await call(A, 'GET', '/v1/me', bearer(bob.access)))).body.id as string;
    const patched = await json(await call(C, 'PATCH', `/v1/admin/users/${bobId}`, bearer(admin.access), { role: 'user' }));
    expect(patched.body.role).toBe('user');
    await refusedEverywhere(bearer(bob.access), 'token_revoked', [A, B, V]);
    const renewed = await json(await call(A, 'POST', '/v1/tokens/refresh', {}, { refresh_token: bob.refresh }));
    expect((await json(await call(V, 'GET', '/', bearer(renewed.body.access_token as string)))).body.role).toBe('user');
  });

  it('logs out everywhere from C: the other session and token die on A, B and the verifier', async () => {
    const session = await login(A, 'dave');
    const pair = await tokens(B, 'dave');
    const keeper = await tokens(C, 'dave');
    expect((await call(C, 'DELETE', '/v1/me/sessions', bearer(keeper.access))).status).toBe(204);
    await refusedEverywhere(cookie(session.cookie), 'session_revoked', [A, B]);
    await refusedEverywhere(bearer(pair.access), 'token_revoked', [A, B, V]);
    expect((await call(A, 'GET', '/v1/me', bearer(keeper.access))).status).toBe(200);
  });

  it('replays the stream: a verifier started after a revocation still refuses the token', async () => {
    const pair = await tokens(A, 'alice');
    await call(C, 'POST', '/v1/tokens/revoke', {}, { token: pair.access });
    const late = await startVerifier();
    const answer = await json(await call(late.url, 'GET', '/', bearer(pair.access)));
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('token_revoked');
  });

  it('survives Redis going away: the instances follow PostgreSQL, the verifier fails closed, nothing revoked gets through, and all recovers without a restart', async () => {
    const session = await login(A, 'alice');
    const pair = await tokens(A, 'alice');
    const dead = await tokens(A, 'alice');
    const doomed = await tokens(A, 'alice');
    await call(A, 'POST', '/v1/tokens/revoke', {}, { token: dead.refresh });
    for (const url of [A, B, C]) await call(url, 'GET', '/v1/me', cookie(session.cookie));
    await redis.stop();
    const unknown = cookie('AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43));
    const statuses = async (headers: Record<string, string>, urls: string[]) =>
      Promise.all(urls.map(async (url) => (await call(url, 'GET', url === V ? '/' : '/v1/me', headers)).status));
    // The instances still read the revocation log in PostgreSQL: tokens need no store at all.
    expect(await statuses(bearer(pair.access), [A, B, C])).toEqual([200, 200, 200]);
    expect(await statuses(bearer(dead.access), [A, B, C, V])).toEqual([401, 401, 401, 401]);
    // Cookie sessions live in Redis: a cached one is served, anything else is 503, never access.
    for (const status of await statuses(cookie(session.cookie), [A, B, C])) expect([200, 503]).toContain(status);
    for (const status of await statuses(unknown, [A, B, C])) expect(status).not.toBe(200);
    // A revocation made now is logged in PostgreSQL and holds on every instance at once.
    expect((await call(B, 'POST', '/v1/tokens/revoke', {}, { token: doomed.refresh })).status).toBe(200);
    await refusedEverywhere(bearer(doomed.access), 'token_revoked', [A, B, C]);
    // The verifier follows only the Redis stream: past the bound (3 s here) it fails closed.
    await within(BOUND_MS + 5000, async () => (await statuses(bearer(pair.access), [V]))[0] === 503, 'the verifier fails closed');
    redis = await startRedis(dir, redis.port);
    await within(15_000, async () => (await statuses(bearer(pair.access), [A, B, C, V])).every((s) => s === 200), 'recovery');
    for (const status of await statuses(cookie(session.cookie), [A, B, C])) expect(status).toBe(200);
    // The relay published what was logged while Redis was away: the verifier refuses it too.
    expect(await statuses(bearer(doomed.access), [V])).toEqual([401]);
    expect(await statuses(bearer(dead.access), [A, B, C, V])).toEqual([401, 401, 401, 401]);
  }, 60_000);
});
