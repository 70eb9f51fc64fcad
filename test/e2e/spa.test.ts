import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Started, start, startServer, tempDir, within } from '../support/processes.js';
import { chromiumPresent, launch, screenshot } from './chromium.js';

/**
 * examples/spa in Chromium: an app on its own origin signs in with tessera/client and calls
 * examples/resource-server with the bearer; an expired token is refreshed on the way.
 */
describe.skipIf(!chromiumPresent)('examples/spa', () => {
  const secret = 'feed-secret-for-the-spa-test';
  const ports = { tessera: 25231, api: 25232, spa: 25233 };
  const urls = { tessera: `http://127.0.0.1:${ports.tessera}`, api: `http://127.0.0.1:${ports.api}`, spa: `http://127.0.0.1:${ports.spa}` };
  let tessera: Started & { url: string };
  let api: Started;
  let spa: Started;
  let browser: Browser;

  beforeAll(async () => {
    tessera = await startServer({
      TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-spa'), 't.db')}`,
      TESSERA_PORT: String(ports.tessera),
      TESSERA_FEED_SECRET: secret,
      TESSERA_ALLOWED_ORIGINS: urls.spa,
      TESSERA_ACCESS_TTL: '3',
    });
    api = start('node', [join(ROOT, 'examples/resource-server/server.mjs')], { TESSERA_URL: urls.tessera, TESSERA_FEED_SECRET: secret, PORT: String(ports.api), CORS_ORIGIN: urls.spa });
    spa = start('node', [join(ROOT, 'examples/spa/server.mjs')], { TESSERA_URL: urls.tessera, API_URL: urls.api, PORT: String(ports.spa) });
    await within(20_000, async () => (await fetch(`${urls.api}/readyz`)).ok, 'resource server ready');
    await within(10_000, async () => (await fetch(urls.spa)).ok, 'spa server');
    await fetch(`${urls.tessera}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'shopper', password: 'correct horse battery staple' }) });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await spa?.stop();
    await api?.stop();
    await tessera?.stop();
  });

  it('signs in, calls the resource server with the bearer, refreshes an expired token, and signs out', async () => {
    const page = await browser.newPage();
    const noise: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') noise.push(`${m.text()} ${JSON.stringify(m.location())}`);
    });
    const refreshes: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/tokens/refresh')) refreshes.push(Date.now());
    });
    await page.goto(urls.spa);
    await page.waitForSelector('#sign-in:not([hidden])');
    await page.fill('#username', 'shopper');
    await page.fill('#password', 'correct horse battery staple');
    await page.click('#sign-in button');
    await page.waitForSelector('#inside:not([hidden])');
    await page.click('#orders');
    await page.waitForSelector('text=tessellated tiles');
    expect(JSON.parse((await page.textContent('#result'))!)).toMatchObject({ owner: 'shopper' });
    await screenshot(page, 'spa-orders');

    // The 3 s token is refreshed ahead of expiry (or on the way), and the call goes on working.
    await within(10_000, async () => refreshes.length >= 2, 'refreshes');
    await page.click('#out');
    await page.waitForSelector('#sign-in:not([hidden])');
    await page.evaluate('document.getElementById("result").textContent = ""');
    expect(noise).toEqual([]);
    await page.close();
  }, 60_000);
});
