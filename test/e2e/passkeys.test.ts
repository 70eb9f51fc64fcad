import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { Secret, TOTP } from 'otpauth';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Started, freePort, startServer, tempDir } from '../support/processes.js';

/**
 * Passkeys end to end in Debian's Chromium, with a CDP virtual authenticator (a platform authenticator
 * with user verification): register one on the account page, sign in with it alone (no user name),
 * use it as the second factor of a password login, delete it. Skipped loudly without Chromium; CI
 * (TESSERA_TEST_REQUIRE_SERVICES=1) requires it.
 */
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) {
  if (process.env.TESSERA_TEST_REQUIRE_SERVICES === '1') throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`\n!!! SKIPPING PASSKEY TESTS: ${CHROMIUM} is missing (apt-get install chromium).\n`);
}
const PASSWORD = 'correct horse battery staple';

describe.skipIf(!present)('passkeys and account pages in Chromium', () => {
  let server: Started & { url: string };
  let browser: Browser;
  let database: string;
  let outbox: string;
  // WebAuthn needs a domain as the RP ID (an IP address is refused): localhost is a secure context over http.
  let origin: string;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    database = `sqlite:${join(tempDir('tessera-passkeys'), 't.db')}`;
    outbox = tempDir('tessera-pages-outbox');
    server = await startServer({ TESSERA_DATABASE_URL: database, TESSERA_PORT: String(port), TESSERA_ISSUER: origin, TESSERA_MAIL_DIR: outbox });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function withAuthenticator(): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    return { context, page, violations };
  }

  const me = (page: Page) => page.evaluate(async () => (await fetch('/v1/me')).json() as Promise<{ username: string; auth: { amr: string[] } }>);

  async function passwordLogin(page: Page): Promise<void> {
    await page.goto(origin);
    await page.fill('#login input[name=username]', 'pat');
    await page.fill('#login input[name=password]', PASSWORD);
    await page.click('#login button[type=submit]');
  }

  it('registers a passkey, signs in with it alone, uses it as a second factor, and deletes it', async () => {
    const registered = await fetch(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'pat', password: PASSWORD }) });
    expect(registered.status).toBe(201);
    const { context, page, violations } = await withAuthenticator();

    // Register, from a fresh password sign-in (a factor change needs a recent one).
    await passwordLogin(page);
    await page.waitForSelector('#signed-in:not([hidden])');
    await page.goto(`${origin}/account`);
    await page.waitForSelector('#security:not([hidden])');
    await page.click('#passkey-add');
    await page.waitForSelector('#passkeys li');
    expect(await page.textContent('#message')).toMatch(/^Passkey added/);

    // Sign out, then in with the passkey alone: no user name typed.
    await page.goto(origin);
    await page.click('#logout');
    await page.waitForSelector('#signed-out:not([hidden])');
    await page.click('#passkey-login');
    await page.waitForSelector('#signed-in:not([hidden])');
    const alone = await me(page);
    expect(alone.username).toBe('pat');
    expect(alone.auth.amr).toHaveLength(2);
    expect(alone.auth.amr).toContain('mfa');
    expect(['hwk', 'swk']).toContain(alone.auth.amr[0]);

    // With a passkey enrolled, the password alone is not enough: the passkey is the second factor.
    await page.click('#logout');
    await page.waitForSelector('#signed-out:not([hidden])');
    await passwordLogin(page);
    await page.waitForSelector('#mfa:not([hidden])');
    await page.click('#mfa-passkey');
    await page.waitForSelector('#signed-in:not([hidden])');
    expect((await me(page)).auth.amr).toEqual(['pwd', alone.auth.amr[0], 'mfa']);

    // Delete it (that session has the second factor); the password alone signs in again.
    await page.goto(`${origin}/account`);
    await page.waitForSelector('#passkeys li');
    await page.click('#passkeys li button');
    await expect.poll(() => page.locator('#passkeys li').count(), { timeout: 10_000 }).toBe(0);
    const login = await fetch(`${server.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'pat', password: PASSWORD }) });
    expect(login.status).toBe(200);

    const audit = JSON.parse(execFileSync('node', [CLI, 'audit', 'tail', '-n', '50', '--json'], { env: { ...process.env, TESSERA_DATABASE_URL: database }, encoding: 'utf8' })) as { entries?: Array<{ event: string }> } | Array<{ event: string }>;
    const events = (Array.isArray(audit) ? audit : (audit.entries ?? [])).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['passkey_added', 'passkey_removed']));
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);

  /** The link of the newest .eml in the outbox whose subject matches. */
  async function mailedLink(subject: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const files = readdirSync(outbox).filter((f) => f.endsWith('.eml')).sort().reverse();
      for (const file of files) {
        const mail = await simpleParser(readFileSync(join(outbox, file)));
        if (mail.subject === subject) return /https?:\/\/\S+/.exec(mail.text ?? '')![0];
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no mail "${subject}" in ${outbox}`);
  }

  it('confirms an address, turns on an authenticator app with recovery codes, signs in with a code, and resets a forgotten password', async () => {
    const registered = await fetch(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tina', password: PASSWORD }) });
    expect(registered.status).toBe(201);
    const { context, page, violations } = await withAuthenticator();
    await page.goto(origin);
    await page.fill('#login input[name=username]', 'tina');
    await page.fill('#login input[name=password]', PASSWORD);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#signed-in:not([hidden])');
    await page.click('text=Account security');
    await page.waitForSelector('#security:not([hidden])');

    await page.fill('#email input[name=email]', 'tina@example.com');
    await page.click('#email button[type=submit]');
    await page.waitForSelector('text=A confirmation link went to tina@example.com.');
    await page.goto(await mailedLink('Confirm your e-mail address'));
    await page.waitForSelector('text=tina@example.com is confirmed.');

    await page.goto(`${origin}/account`);
    await page.click('#totp-start');
    await page.waitForSelector('#totp-enrol:not([hidden])');
    expect(await page.locator('#totp-qr svg path').count()).toBeGreaterThan(0);
    const totp = new TOTP({ secret: Secret.fromBase32((await page.textContent('#totp-secret'))!), algorithm: 'SHA1', digits: 6, period: 30 });
    await page.fill('#totp input[name=code]', totp.generate());
    await page.click('#totp button[type=submit]');
    await page.waitForSelector('#codes:not([hidden])');
    expect(await page.locator('#code-list li').count()).toBe(10);

    // Sign out, then in with the password and a code (the next time step: the enrolment spent this one).
    await page.goto(origin);
    await page.click('#logout');
    await page.fill('#login input[name=username]', 'tina');
    await page.fill('#login input[name=password]', PASSWORD);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#mfa:not([hidden])');
    await page.fill('#mfa input[name=code]', totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.click('#mfa button[type=submit]');
    // A code of the next step may be early for the server by a few seconds; it allows one step of drift.
    await page.waitForSelector('#signed-in:not([hidden])');
    expect((await me(page)).auth.amr).toEqual(['pwd', 'otp', 'mfa']);

    // Forgot the password: the link from the outbox opens the reset page.
    await page.click('#logout');
    await page.goto(`${origin}/account/forgot`);
    await page.fill('#forgot input[name=identifier]', 'tina@example.com');
    await page.click('#forgot button[type=submit]');
    await page.waitForSelector('text=a link is on its way');
    await page.goto(await mailedLink('Reset your password'));
    await page.fill('#reset input[name=newPassword]', 'a brand new passphrase, rather long');
    await page.click('#reset button[type=submit]');
    await page.waitForSelector('text=Your password is set');
    const login = await fetch(`${server.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tina', password: 'a brand new passphrase, rather long' }) });
    expect(login.status).toBe(202);
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);
});
