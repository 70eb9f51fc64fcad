import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../support/app.js';

/** `promtool check metrics` accepts what /metrics serves (Debian's prometheus package; .ci/run installs it). */
const present = spawnSync('promtool', ['--version']).status === 0;
if (!present) {
  if (process.env.TESSERA_TEST_REQUIRE_SERVICES === '1') throw new Error('promtool is missing (apt-get install prometheus)');
  console.warn('\n!!! SKIPPING THE PROMTOOL TEST: promtool is missing (apt-get install prometheus). CI (.ci/run) installs it.\n');
}

let t: TestApp;
afterEach(() => t?.close());

describe.skipIf(!present)('the metrics exposition', () => {
  it('passes promtool check metrics, after every kind of request', async () => {
    t = await testApp();
    await t.register('alice');
    await t.login('alice');
    await t.tokens('alice');
    await t.app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice', password: 'wrong wrong wrong!' } });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics.body, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
