import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR, MINUTE, SECOND } from '../../src/core/clock.js';
import { PASSWORD, type TestApp, sessionCookie, testApp } from '../support/app.js';
import { expectProblem } from './attack.js';

/**
 * Online guessing: per-account back-off and per-address limits (API.md "Cookie sessions"; NIST SP
 * 800-63B-4 §3.2.2; ASVS 5.0 V6.1.1, V6.3.1, V2.4.1, V4.1.3, V15.3.4). Time moves on the manual clock.
 */

let t: TestApp;
afterEach(() => t.close());

const WRONG = 'this is not the password, sorry';

const login = (username: string, password: string, headers: Record<string, string> = {}, url = '/v1/session') =>
  t.app.inject({ method: 'POST', url, payload: { username, password }, headers });

function expectLimited(res: LightMyRequestResponse, retryAfter?: number): void {
  expectProblem(res, 429, 'rate_limited');
  if (retryAfter !== undefined) expect(res.headers['retry-after']).toBe(String(retryAfter));
}

async function fail(times: number, username = 'alice', headers: Record<string, string> = {}, url = '/v1/session'): Promise<void> {
  for (let i = 0; i < times; i++) expectProblem(await login(username, WRONG, headers, url), 401, 'invalid_credentials');
}

/** `times` processed failures, waiting out each back-off as a patient attacker would. */
async function failThrough(times: number, username = 'alice'): Promise<void> {
  for (let done = 0; done < times; ) {
    const res = await login(username, WRONG);
    if (res.statusCode === 429) t.advance(Number(res.headers['retry-after']) * SECOND);
    else {
      expectProblem(res, 401, 'invalid_credentials');
      done++;
    }
  }
}

describe('per-account back-off', () => {
  it('after 5 failures answers 429 with Retry-After 2^(n-5) s, right password or not, capped at 15 min', async () => {
    t = await testApp();
    await t.register('alice');
    await fail(5);
    for (let n = 5; n < 16; n++) {
      const wait = Math.min(2 ** (n - 5), 900);
      expectLimited(await login('alice', PASSWORD), wait);
      expectLimited(await login('alice', WRONG), wait);
      t.advance(wait * SECOND - 1);
      expectLimited(await login('alice', PASSWORD), 1);
      t.advance(1);
      expectProblem(await login('alice', WRONG), 401, 'invalid_credentials');
    }
    // 16 failures: 2^11 s is past the cap.
    expectLimited(await login('alice', PASSWORD), 900);
  });

  it('never locks the account for good: after the back-off the right password works and clears the count', async () => {
    t = await testApp();
    await t.register('alice');
    await failThrough(8);
    expectLimited(await login('alice', PASSWORD), 8);
    t.advance(8 * SECOND);
    expect((await login('alice', PASSWORD)).statusCode).toBe(200);
    await fail(5);
    expectLimited(await login('alice', PASSWORD), 1);
  });

  it('processes far fewer than 100 failures an hour against an attacker who retries the moment Retry-After allows', async () => {
    t = await testApp();
    await t.register('alice');
    const processed: number[] = [];
    const end = t.clock.now() + 3 * HOUR;
    while (t.clock.now() < end) {
      const res = await login('alice', WRONG);
      if (res.statusCode === 401) processed.push(t.clock.now());
      else {
        expectLimited(res);
        t.advance(Number(res.headers['retry-after']) * SECOND);
      }
    }
    const worstHour = Math.max(...processed.map((at) => processed.filter((other) => other >= at && other < at + HOUR).length));
    expect(worstHour).toBeLessThanOrEqual(100);
    expect(worstHour).toBeLessThan(30);
    expect(processed.length).toBeGreaterThan(15);
  });

  it('does not let parallel guesses outrun the back-off: one attempt per account is checked at a time', async () => {
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' });
    await t.register('alice');
    const burst = () =>
      Promise.all(Array.from({ length: 30 }, (_, i) => login(i % 2 ? 'alice' : 'ALICE', WRONG, { 'x-forwarded-for': `198.51.100.${i}` })));
    let processed = 0;
    for (let round = 0; round < 4; round++) {
      const answers = await burst();
      for (const res of answers) expect([401, 429]).toContain(res.statusCode);
      processed += answers.filter((res) => res.statusCode === 401).length;
      t.advance(HOUR / 60);
    }
    // Sequentially, 4 rounds a minute apart let at most 5 free failures and then 1 per round through.
    expect(processed).toBeLessThanOrEqual(8);
    const state = await t.stores.limiter.peek('login:account:alice', t.clock.now());
    expect(state?.count).toBe(processed);
  });

  it('serialises concurrent logins on one account instead of refusing them: 8 correct ones all succeed', async () => {
    t = await testApp();
    await t.register('alice');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => login(i % 2 ? 'alice' : 'ALICE', PASSWORD, {}, i % 3 ? '/v1/session' : '/v1/tokens')),
    );
    expect(answers.map((res) => res.statusCode)).toEqual(Array(8).fill(200));
    expect(await t.stores.limiter.peek('login:account:alice', t.clock.now())).toBeNull();
  });

  it('counts every one of concurrent wrong logins, each checked after the one before it counted', async () => {
    t = await testApp();
    await t.register('alice');
    // Under the back-off threshold, every one of 5 parallel guesses is processed and counted.
    const five = await Promise.all(Array.from({ length: 5 }, () => login('alice', WRONG)));
    expect(five.map((res) => res.statusCode)).toEqual(Array(5).fill(401));
    expect((await t.stores.limiter.peek('login:account:alice', t.clock.now()))?.count).toBe(5);
    t.advance(HOUR);
    // 8 in parallel: the first 5 are processed (401) and counted; the 6th is checked only after the 5th
    // counted, so the back-off (1 s after 5 failures) refuses it and the rest, as it would sequentially.
    const eight = await Promise.all(Array.from({ length: 8 }, () => login('alice', WRONG)));
    expect(eight.map((res) => res.statusCode)).toEqual([...Array(5).fill(401), ...Array(3).fill(429)]);
    expect((await t.stores.limiter.peek('login:account:alice', t.clock.now()))?.count).toBe(5);
  });

  it('counts unknown names too, so that a 429 says nothing about whether the account exists', async () => {
    t = await testApp();
    await t.register('alice');
    await fail(5, 'ghost');
    await fail(5, 'alice');
    const ghost = await login('ghost', WRONG);
    const alice = await login('alice', WRONG);
    expectLimited(ghost, 1);
    expectLimited(alice, 1);
    expect(ghost.body).toBe(alice.body);
  });

  it('counts across both login endpoints', async () => {
    t = await testApp();
    await t.register('alice');
    await fail(3, 'alice', {}, '/v1/session');
    await fail(2, 'alice', {}, '/v1/tokens');
    expectLimited(await login('alice', PASSWORD, {}, '/v1/tokens'), 1);
    expectLimited(await login('alice', PASSWORD, {}, '/v1/session'), 1);
  });

  it('counts name variants as one account: case, NFKC full-width forms and surrounding whitespace', async () => {
    t = await testApp();
    await t.register('alice');
    // Each variant reaches the account, so it must share the account's counter.
    for (const variant of ['ALICE', ' alice ', 'ａｌｉｃｅ']) expect((await login(variant, PASSWORD)).statusCode).toBe(200);
    for (const variant of ['Alice', ' alice', 'alice\t', 'ａｌｉｃｅ', '\u3000alice\u00a0']) {
      expectProblem(await login(variant, WRONG), 401, 'invalid_credentials');
    }
    expectLimited(await login('alice', PASSWORD), 1);
    expectLimited(await login('ＡＬＩＣＥ', PASSWORD), 1);
  });

  it('counts failures across client addresses (behind a trusted proxy)', async () => {
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' });
    await t.register('alice');
    for (let i = 1; i <= 5; i++) await fail(1, 'alice', { 'x-forwarded-for': `198.51.100.${i}` });
    expectLimited(await login('alice', PASSWORD, { 'x-forwarded-for': '203.0.113.77' }), 1);
  });

  it('counts a wrong current password on PUT /v1/me/password towards the account’s throttle', async () => {
    t = await testApp();
    await t.register('alice');
    const { cookie, csrf } = await t.login('alice');
    const change = (currentPassword: string) =>
      t.app.inject({
        method: 'PUT',
        url: '/v1/me/password',
        payload: { currentPassword, newPassword: 'a brand new passphrase here' },
        headers: { ...sessionCookie(cookie), 'x-csrf-token': csrf },
      });
    for (let i = 0; i < 5; i++) expectProblem(await change(WRONG), 401, 'invalid_credentials');
    expectLimited(await change(PASSWORD), 1);
    expectLimited(await login('alice', PASSWORD), 1);
  });
});

describe('per-address limits and X-Forwarded-For', () => {
  /** 50 failed logins, each for another name, so that no account throttle is involved. */
  async function spray(headersFor: (i: number) => Record<string, string>): Promise<void> {
    for (let i = 0; i < 50; i++) expectProblem(await login(`victim${i}`, WRONG, headersFor(i)), 401, 'invalid_credentials');
  }

  it('answers 429 after 50 failed logins from one address in 15 minutes, for any account, until the window ends', async () => {
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' });
    await t.register('alice');
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    await spray(() => from('203.0.113.9'));
    expectLimited(await login('alice', PASSWORD, from('203.0.113.9')), 900);
    expectLimited(await login('alice', PASSWORD, from('203.0.113.9'), '/v1/tokens'), 900);
    // Another address is not affected, and a trusted proxy's client that prepends a spoofed hop is still counted as itself.
    expect((await login('alice', PASSWORD, from('203.0.113.10'))).statusCode).toBe(200);
    expectLimited(await login('alice', PASSWORD, from('192.0.2.1, 203.0.113.9')));
    t.advance(15 * MINUTE);
    expect((await login('alice', PASSWORD, from('203.0.113.9'))).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: rotating it does not reset the limit', async () => {
    for (const env of [{}, { TESSERA_TRUST_PROXY: '10.0.0.1' }] as Array<Record<string, string>>) {
      t = await testApp(env);
      await t.register('alice');
      await spray((i) => ({ 'x-forwarded-for': `198.51.100.${i}` }));
      expectLimited(await login('alice', PASSWORD, { 'x-forwarded-for': '198.51.100.200' }), 900);
      const audit = await t.stores.audit.read(0, 1000);
      expect(new Set(audit.filter((e) => e.event === 'login_failure').map((e) => e.ip))).toEqual(new Set(['127.0.0.1']));
      await t.close();
    }
    t = await testApp();
  });

  it('limits registrations to 30 an hour per address, and a spoofed X-Forwarded-For does not help', async () => {
    t = await testApp();
    const register = (i: number) =>
      t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: `newuser${i}`, password: PASSWORD }, headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    for (let i = 0; i < 30; i++) expect((await register(i)).statusCode).toBe(201);
    expectLimited(await register(30), 3600);
    t.advance(HOUR);
    expect((await register(31)).statusCode).toBe(201);
  });

  it('counts registrations per client address behind a trusted proxy', async () => {
    t = await testApp({ TESSERA_TRUST_PROXY: '127.0.0.1' });
    const register = (i: number, ip: string) =>
      t.app.inject({ method: 'POST', url: '/v1/users', payload: { username: `newuser${i}`, password: PASSWORD }, headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 30; i++) expect((await register(i, '203.0.113.5')).statusCode).toBe(201);
    expectLimited(await register(30, '203.0.113.5'));
    expect((await register(31, '203.0.113.6')).statusCode).toBe(201);
  });
});
