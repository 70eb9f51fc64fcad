import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startServer, tempDir } from '../support/processes.js';
import { chromiumPresent, createAdmin, expectAccessible, launch, screenshot } from './chromium.js';

/**
 * Tessera's pages in Chromium, on tessera/client: sign-in and registration, the account, the admin
 * console; every flow end to end, with screenshots (docs/screenshots/) and axe-core on every page.
 */
/** The little of the DOM that the functions run in the page use (this project compiles without the DOM library). */
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  disabled?: boolean;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  getClientRects(): { length: number };
  blur?(): void;
}
declare function getComputedStyle(element: PageElement): { outlineStyle: string; outlineWidth: string; visibility: string };
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
};

const PASSWORD = 'correct horse battery staple';
const ADMIN_PASSWORD = 'a long admin passphrase of some length';

describe.skipIf(!chromiumPresent)('the pages in Chromium', () => {
  let server: Started & { url: string };
  let browser: Browser;
  const axeTotals = new Map<string, number>();

  beforeAll(async () => {
    const database = `sqlite:${join(tempDir('tessera-pages'), 't.db')}`;
    createAdmin(database, 'root', ADMIN_PASSWORD);
    server = await startServer({ TESSERA_DATABASE_URL: database, TESSERA_PORT: '25211' });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    console.log(`axe-core violations of any impact per page: ${JSON.stringify(Object.fromEntries(axeTotals))}`);
    await browser?.close();
    await server?.stop();
  });

  /** A page that records console errors and failed requests (a 401 or a 404 would show here). */
  async function open(context: BrowserContext, path = '/'): Promise<{ page: Page; noise: string[] }> {
    const page = await context.newPage();
    const noise: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/.test(m.text())) noise.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) noise.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(server.url + path);
    return { page, noise };
  }

  it('an anonymous visit: no 401, a favicon, accessible on phone, desktop and dark', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, noise } = await open(context);
    await page.waitForSelector('#signed-out:not([hidden])');
    expect((await page.request.get(`${server.url}/favicon.ico`)).status()).toBe(200);
    await page.waitForTimeout(300); // any late request would land here
    expect(noise).toEqual([]);
    await expectAccessible(page, 'sign-in', axeTotals);
    await screenshot(page, 'sign-in-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'sign-in-phone');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'sign-in (dark)', axeTotals);
    await screenshot(page, 'sign-in-dark');
    await context.close();
  });

  it('registers with errors shown next to their field, and registering signs in; keyboard only', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page } = await open(context);
    // A breached password: the error sits under the password field, which is marked invalid and focused.
    await page.focus('#register-username');
    await page.keyboard.type('dana');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab'); // past the hint? the hint is not focusable: straight to the password
    if ((await page.evaluate(() => document.activeElement?.id)) !== 'register-password') await page.focus('#register-password');
    await page.keyboard.type('1qaz2wsx3edc4rfv');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#register-password[aria-invalid=true]');
    expect(await page.textContent('#register-password-error')).toContain('commonly breached');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('register-password');
    await expectAccessible(page, 'register (field error)', axeTotals);
    await screenshot(page, 'register-field-error');

    await page.fill('#register-password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#signed-in:not([hidden])');
    expect(await page.textContent('#who')).toBe('dana');
    expect(await page.locator('#sessions li.current').count()).toBe(1);

    // A taken name is said next to the name.
    const other = await open(await browser.newContext());
    await other.page.fill('#register-username', 'dana');
    await other.page.fill('#register-password', PASSWORD);
    await other.page.click('#register button[type=submit]');
    await other.page.waitForSelector('#register-username[aria-invalid=true]');
    expect(await other.page.textContent('#register-username-error')).toBe('This user name is taken.');
    await other.page.context().close();
    await context.close();
  });

  it('the account: sessions with device, address and times, one signed out, everywhere else, a password change', async () => {
    const phone = await browser.newContext({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', viewport: { width: 390, height: 844 } });
    const laptop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signIn = async (context: BrowserContext, user: string, password = PASSWORD) => {
      const { page } = await open(context);
      await page.fill('#login-username', user);
      await page.fill('#login-password', password);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#signed-in:not([hidden])');
      return page;
    };
    await fetch(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'erin', password: PASSWORD }) });
    const onPhone = await signIn(phone, 'erin');
    const onLaptop = await signIn(laptop, 'erin');
    await onLaptop.waitForFunction(() => document.querySelectorAll('#sessions li').length === 2);
    expect(await onLaptop.textContent('#sessions')).toContain('Safari 17 on iOS 17');
    expect(await onLaptop.textContent('#sessions')).toContain('127.0.0.1');
    expect(await onLaptop.textContent('#sessions li.current')).toContain('This device');
    await expectAccessible(onLaptop, 'account', axeTotals);
    await screenshot(onLaptop, 'account-desktop');
    await screenshot(onPhone, 'account-phone');

    // Signing the phone out from the laptop: the phone's next request finds itself signed out.
    await onLaptop.click('#sessions li:not(.current) button');
    await onLaptop.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1);
    await onPhone.reload();
    await onPhone.waitForSelector('#signed-out:not([hidden])');

    // A wrong current password is said next to that field; the right one works.
    await onLaptop.fill('#password-current', 'not my password at all');
    await onLaptop.fill('#password-new', 'a brand new passphrase 2026');
    await onLaptop.click('#password button[type=submit]');
    await onLaptop.waitForSelector('#password-current[aria-invalid=true]');
    await screenshot(onLaptop, 'account-password-error');
    await onLaptop.fill('#password-current', PASSWORD);
    await onLaptop.fill('#password-new', 'a brand new passphrase 2026');
    await onLaptop.click('#password button[type=submit]');
    await onLaptop.waitForSelector('text=Your password is changed');

    const again = await signIn(phone, 'erin', 'a brand new passphrase 2026');
    await onLaptop.click('#logout-others');
    await onLaptop.waitForSelector('text=Every other session is signed out');
    await again.reload();
    await again.waitForSelector('#signed-out:not([hidden])');
    await onLaptop.click('#logout');
    await onLaptop.waitForSelector('#signed-out:not([hidden])');
    await phone.close();
    await laptop.close();
  });

  it('the admin console: search and filters, a user page (role, disable, revoke all), the audit log verified, live charts', async () => {
    for (const name of ['frank', 'fiona', 'george']) {
      await fetch(`${server.url}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, password: PASSWORD }) });
    }
    const userContext = await browser.newContext();
    const { page: frankPage } = await open(userContext);
    await frankPage.fill('#login-username', 'frank');
    await frankPage.fill('#login-password', PASSWORD);
    await frankPage.click('#login button[type=submit]');
    await frankPage.waitForSelector('#signed-in:not([hidden])');
    // A non-admin is told so, and sees no console.
    const { page: refused } = await open(userContext, '/admin');
    await refused.waitForSelector('text=This console is for administrators.');
    expect(await refused.isHidden('#console')).toBe(true);

    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const { page: home } = await open(context);
    await home.fill('#login-username', 'root');
    await home.fill('#login-password', ADMIN_PASSWORD);
    await home.click('#login button[type=submit]');
    await home.waitForSelector('#admin-link:not([hidden])');
    await home.click('#admin-link');
    await home.waitForSelector('#console:not([hidden])');
    const page = home;
    await page.waitForSelector('#user-rows tr');
    await page.fill('#q', 'F');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#user-rows a')].map((a) => a.textContent).sort().join() === 'fiona,frank');
    await page.selectOption('#role-filter', 'admin');
    await page.fill('#q', '');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#user-rows a')].map((a) => a.textContent).join() === 'root');
    await page.selectOption('#role-filter', '');
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#user-rows a').length >= 5);

    await page.click('#user-rows a:text("frank")');
    await page.waitForSelector('#user:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#user-sessions li').length === 1);
    // Two samples make a line in each of the four charts.
    await page.waitForFunction(() => [...document.querySelectorAll('#charts svg polyline')].filter((l) => (l.getAttribute('points') ?? '').split(' ').length >= 2).length === 4);
    await expectAccessible(page, 'admin console', axeTotals);
    await screenshot(page, 'admin-user');

    await page.selectOption('#user-role', 'admin');
    await page.click('#save-role');
    await page.waitForSelector('text=frank is now admin.');
    await page.selectOption('#user-role', 'user');
    await page.click('#save-role');
    await page.waitForSelector('text=frank is now user.');
    await page.click('#toggle-disabled');
    await page.waitForSelector('text=frank is disabled.');
    await page.click('#toggle-disabled');
    await page.waitForSelector('text=frank is enabled.');
    // Disabling ended frank's session already; sign him in again, then revoke everything.
    await frankPage.reload();
    await frankPage.waitForSelector('#signed-out:not([hidden])');
    await frankPage.fill('#login-username', 'frank');
    await frankPage.fill('#login-password', PASSWORD);
    await frankPage.click('#login button[type=submit]');
    await frankPage.waitForSelector('#signed-in:not([hidden])');
    await page.click('#revoke-all');
    await page.waitForSelector('text=Every session of frank is revoked.');
    await page.waitForFunction(() => document.querySelector('#user-sessions')?.textContent === 'No live session.');
    await frankPage.click('#logout-others'); // frank's next request
    await frankPage.waitForSelector('#signed-out:not([hidden])');

    await page.waitForSelector('#chain.ok');
    expect(await page.textContent('#chain')).toBe('Chain verified');
    expect(await page.locator('#audit-rows tr').count()).toBeGreaterThan(5);
    // Newest first, and the administrator who acted is named, not numbered.
    expect(await page.textContent('#audit-rows tr:first-child')).toContain('(by root)');
    await page.locator('#audit').scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-console');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'admin console (dark)', axeTotals);
    await screenshot(page, 'admin-console-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'admin-console-phone');
    await context.close();
    await userContext.close();
  }, 60_000);

  /**
   * Tabs through a freshly loaded page from the top: the order in which its controls take the focus, each named
   * by its place in the document, and those that showed no focus ring. Every visible control should
   * be reached once, in document order.
   */
  async function tabThrough(page: Page): Promise<{ controls: number; reached: number[]; noRing: string[] }> {
    const controls = await page.evaluate(() => {
      const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')].filter(
        (el) => !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && el.getAttribute('tabindex') !== '-1',
      );
      all.forEach((el, i) => el.setAttribute('data-tab-check', String(i)));
      return all.length;
    });
    const reached: number[] = [];
    const noRing: string[] = [];
    for (let i = 0; i < controls + 3; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el.tagName === 'BODY') return null;
        const style = getComputedStyle(el);
        return { index: Number(el.getAttribute('data-tab-check') ?? -1), name: `${el.tagName.toLowerCase()}#${el.id} ${el.textContent?.trim().slice(0, 30) ?? ''}`, ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
      });
      if (focused === null || reached.includes(focused.index)) break; // past the last control, or round again
      reached.push(focused.index);
      if (!focused.ring) noRing.push(focused.name);
    }
    return { controls, reached, noRing };
  }

  it('keyboard only: every control of the sign-in page, the account and the console takes the focus in order, with a visible ring', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page } = await open(context);
    await page.waitForSelector('#signed-out:not([hidden])');
    const pages: Array<[string, Awaited<ReturnType<typeof tabThrough>>]> = [['sign-in', await tabThrough(page)]];
    await page.fill('#login-username', 'root');
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#signed-in:not([hidden])');
    // From the top of a fresh load: after a blur, Chromium goes on from where the focus was.
    await page.reload();
    await page.waitForSelector('#sessions li');
    pages.push(['signed in', await tabThrough(page)]);
    const { page: account } = await open(context, '/account');
    await account.waitForLoadState('networkidle');
    pages.push(['account', await tabThrough(account)]);
    const { page: admin } = await open(context, '/admin');
    await admin.waitForSelector('#audit-rows tr');
    await admin.waitForSelector('#user-rows a');
    pages.push(['admin console', await tabThrough(admin)]);
    for (const [name, { controls, reached, noRing }] of pages) {
      expect(controls, name).toBeGreaterThan(3);
      expect(reached, `${name}: the order the focus took`).toEqual(Array.from({ length: controls }, (_, i) => i));
      expect(noRing, `${name}: focused with no visible ring`).toEqual([]);
    }
    await context.close();
  }, 60_000);

  it('the security page (issue 13) passes axe too', async () => {
    const context = await browser.newContext();
    const { page } = await open(context, '/account/forgot');
    await page.waitForLoadState('networkidle');
    await expectAccessible(page, 'account/forgot', axeTotals);
    await context.close();
  });
});
