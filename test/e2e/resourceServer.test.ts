import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Started, freePort, start, startServer, tempDir, within } from '../support/processes.js';

/**
 * examples/resource-server works as its README says: beside Tessera, on the HTTP revocation feed. It
 * starts first, while Tessera is still down, as services do after a deploy.
 */
describe('examples/resource-server', () => {
  const secret = 'feed-secret-for-the-example-test';
  let tessera: Started & { url: string };
  let example: Started;
  let url: string;

  beforeAll(async () => {
    const tesseraPort = await freePort();
    const port = await freePort();
    example = start('node', [join(ROOT, 'examples/resource-server/server.mjs')], { TESSERA_URL: `http://127.0.0.1:${tesseraPort}`, TESSERA_FEED_SECRET: secret, PORT: String(port) });
    url = `http://127.0.0.1:${port}`;
    // Tessera is not there: the example starts anyway and refuses with 503 and Retry-After, never 500 or access.
    await within(15_000, async () => (await fetch(`${url}/readyz`)).status === 503, 'example server, not ready');
    const early = await fetch(`${url}/orders`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    tessera = await startServer({ TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-example'), 't.db')}`, TESSERA_FEED_SECRET: secret, TESSERA_PORT: String(tesseraPort) });
    await within(20_000, async () => (await fetch(`${url}/readyz`)).status === 200, 'example server ready once Tessera is');
  }, 60_000);

  afterAll(async () => {
    await example?.stop();
    await tessera?.stop();
  });

  it('serves a valid token, refuses the wrong role, and refuses a revoked token within the bound', async () => {
    const post = (path: string, body: unknown) =>
      fetch(tessera.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/v1/users', { username: 'erin', password: 'correct horse battery staple' });
    const tokens = (await (await post('/v1/tokens', { username: 'erin', password: 'correct horse battery staple' })).json()) as Record<string, string>;
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const orders = await fetch(`${url}/orders`, { headers: auth });
    expect(orders.status).toBe(200);
    expect(((await orders.json()) as { owner: string }).owner).toBe('erin');
    const reports = await fetch(`${url}/reports`, { headers: auth });
    expect(reports.status).toBe(403);
    await post('/v1/tokens/revoke', { token: tokens.refresh_token });
    await within(3000, async () => {
      const answer = await fetch(`${url}/orders`, { headers: auth });
      return answer.status === 401 && ((await answer.json()) as { code: string }).code === 'token_revoked';
    }, 'revocation at the example');
  });
});
