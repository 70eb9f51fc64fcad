import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startServer, tempDir } from '../support/processes.js';

/**
 * The sign-in page in a real browser (Debian's Chromium): the session cookie is HttpOnly and
 * __Host-, the CSRF token rides along on unsafe requests, logout ends the session. Skipped loudly
 * where Chromium is absent; CI (TESSERA_TEST_REQUIRE_SERVICES=1) requires it.
 */
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) {
  if (process.env.TESSERA_TEST_REQUIRE_SERVICES === '1') throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`\n!!! SKIPPING BROWSER TESTS: ${CHROMIUM} is missing (apt-get install chromium).\n`);
}

describe.skipIf(!present)('the sign-in page in Chromium', () => {
  let server: Started & { url: string };
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ TESSERA_DATABASE_URL: `sqlite:${join(tempDir('tessera-browser'), 't.db')}` });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('registers, signs in with an HttpOnly session cookie, lists sessions and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.fill('#register input[name=username]', 'browser-user');
    await page.fill('#register input[name=password]', 'correct horse battery staple');
    await page.click('#register button[type=submit]');
    // Registering signs in (issue 12).
    await page.waitForSelector('#signed-in:not([hidden])');
    await page.click('#logout');
    await page.waitForSelector('#signed-out:not([hidden])');

    await page.fill('#login input[name=username]', 'browser-user');
    await page.fill('#login input[name=password]', 'correct horse battery staple');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#signed-in:not([hidden])');
    expect(await page.textContent('#who')).toBe('browser-user');

    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: '__Host-tessera_session', httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    // Page script cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.locator('#sessions li.current').count()).toBe(1);

    await page.click('#logout');
    await page.waitForSelector('#signed-out:not([hidden])');
    expect(await context.cookies()).toEqual([]);
    // The old cookie value is dead on the server, not only forgotten by the browser.
    const answer = await fetch(`${server.url}/v1/me`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(((await answer.json()) as { code: string }).code).toBe('session_revoked');
    await context.close();
  });

  it('shows the policy’s own words for a refused password', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.fill('#register input[name=username]', 'another-user');
    await page.fill('#register input[name=password]', '1qaz2wsx3edc4rfv');
    await page.click('#register button[type=submit]');
    await page.waitForSelector('#register input[name=password][aria-invalid=true]');
    expect(await page.textContent('#register-password-error')).toBe('Password is on a list of commonly breached passwords.');
    await page.close();
  });

  it('sends a strict Content-Security-Policy with the page', async () => {
    const response = await fetch(server.url);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('renders /docs with no Content-Security-Policy violation, and no upgrade-insecure-requests over http', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 15_000 });
    expect(violations).toEqual([]);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https:/);
    await page.close();
  }, 30_000);
});
