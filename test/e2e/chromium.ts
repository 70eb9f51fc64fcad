import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { CLI, ROOT } from '../support/processes.js';

/** Debian's Chromium, driven by playwright-core (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) {
  if (process.env.TESSERA_TEST_REQUIRE_SERVICES === '1') throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`\n!!! SKIPPING BROWSER TESTS: ${CHROMIUM} is missing (apt-get install chromium).\n`);
}

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });

export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays as served). */
export async function axe(page: Page): Promise<{ serious: string[]; critical: string[]; total: number }> {
  await page.evaluate(`${AXE}\n;0`);
  const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) })))')) as Array<{ id: string; impact: string; nodes: string[] }>;
  const of = (impact: string) => result.filter((v) => v.impact === impact).map((v) => `${v.id}: ${v.nodes.join(', ')}`);
  return { serious: of('serious'), critical: of('critical'), total: result.length };
}

export async function expectAccessible(page: Page, what: string, record?: Map<string, number>): Promise<void> {
  const result = await axe(page);
  record?.set(what, result.total);
  expect({ what, serious: result.serious, critical: result.critical }).toEqual({ what, serious: [], critical: [] });
}

/** An administrator made with the CLI on the server's database, as an operator would. */
export function createAdmin(databaseUrl: string, username: string, password: string): void {
  execFileSync('node', [CLI, 'user', 'create', username, '--role', 'admin', '--password-stdin'], { input: `${password}\n`, env: { ...process.env, TESSERA_DATABASE_URL: databaseUrl, TESSERA_LOG_LEVEL: 'warn' } });
}
