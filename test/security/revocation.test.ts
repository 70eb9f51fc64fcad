import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/core/clock.js';
import { type TestApp, testApp } from '../support/app.js';
import { bearer, cookieHeader, expectProblem, fileStores, tempDatabase } from './attack.js';

/**
 * Revocation and refresh rotation: re-encoded tokens, what revocation is keyed on, parallel refresh,
 * and reuse (RFC 9700 §4.14.2; RFC 8725 §3.1; ASVS 5.0 V7.4.1, V10.4.5).
 */

let t: TestApp;
afterEach(() => t.close());

const refresh = (token: string) => t.app.inject({ method: 'POST', url: '/v1/tokens/refresh', payload: { refresh_token: token } });
const revoke = (token: string) => t.app.inject({ method: 'POST', url: '/v1/tokens/revoke', payload: { token } });

const STD = (segment: string): string => Buffer.from(segment, 'base64url').toString('base64');

/**
 * Non-canonical re-encodings of a compact JWS that decode to the same bytes under a lax base64 decoder
 * (Node's `Buffer.from(x, 'base64')` accepts every one of them).
 */
function reencodings(token: string): Record<string, string> {
  const [h, p, s] = token.split('.') as [string, string, string];
  const padded = (segment: string) => segment + '='.repeat((4 - (segment.length % 4)) % 4);
  // The signature (64 bytes, 86 characters) ends in a character whose low 4 bits are unused.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(s.at(-1)!);
  const flipped = s.slice(0, -1) + alphabet[last | 0b0101];
  const standard = [h, p, s].map((segment) => STD(segment).replace(/=+$/, ''));
  const all: Record<string, string> = {
    'padding on the signature': `${h}.${p}.${padded(s)}`,
    'padding on the header': `${padded(h)}.${p}.${s}`,
    'standard alphabet (+/)': standard.join('.'),
    'space inside the payload': `${h}.${p.slice(0, 10)} ${p.slice(10)}.${s}`,
    'newline inside the signature': `${h}.${p}.${s.slice(0, 20)}\n${s.slice(20)}`,
    'tab after the header': `${h}\t.${p}.${s}`,
    'unused bits of the signature set': `${h}.${p}.${flipped}`,
  };
  // A token without '-' or '_' is its own standard-alphabet form: that one is then no variant.
  return Object.fromEntries(Object.entries(all).filter(([, variant]) => variant !== token));
}

describe('re-encoded access tokens, before and after revocation (RFC 8725 §3.1; RFC 7515 §2)', () => {
  it('the lax decodings really are the same bytes, so only the strict parser stops them', async () => {
    t = await testApp();
    await t.register('alice');
    let access = (await t.tokens('alice')).access;
    while (!/[-_]/.test(access)) access = (await t.tokens('alice')).access;
    const variants = reencodings(access);
    expect(variants['standard alphabet (+/)']).not.toBe(access);
    expect(/[+/]/.test(variants['standard alphabet (+/)']!)).toBe(true);
    const flipped = variants['unused bits of the signature set']!.split('.')[2]!;
    expect(flipped).not.toBe(access.split('.')[2]);
    expect(Buffer.from(flipped, 'base64url').equals(Buffer.from(access.split('.')[2]!, 'base64url'))).toBe(true);
  });

  it('refuses every re-encoding of a live token by header and by cookie, and after revocation still refuses them all', async () => {
    t = await testApp();
    await t.register('alice');
    const { access, refresh: refreshToken } = await t.tokens('alice');
    const asCookie = (token: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: cookieHeader({ '__Host-tessera_access': encodeURIComponent(token) }) });
    const variants = Object.values(reencodings(access));
    expect((await bearer(t, access)).statusCode).toBe(200);
    for (const variant of variants) {
      expectProblem(await bearer(t, variant), 401, 'invalid_token');
      expectProblem(await asCookie(variant), 401, 'invalid_token');
      // A re-encoded token cannot revoke either: the revocation endpoint answers 200 and changes nothing.
      expect((await revoke(variant)).statusCode).toBe(200);
    }
    expect((await bearer(t, access)).statusCode).toBe(200);
    expect((await revoke(refreshToken)).statusCode).toBe(200);
    expectProblem(await bearer(t, access), 401, 'token_revoked');
    for (const variant of variants) {
      expect((await bearer(t, variant)).statusCode).toBe(401);
      expect((await asCookie(variant)).statusCode).toBe(401);
    }
  });

  it('refuses re-encoded refresh tokens and session cookies without touching the family or session', async () => {
    t = await testApp();
    await t.register('alice');
    const { refresh: refreshToken } = await t.tokens('alice');
    const { cookie } = await t.login('alice');
    const [familyId, secret] = refreshToken.split('.') as [string, string];
    // A random secret may hold no '-' or '_' at all: its standard-alphabet form is then itself, no variant.
    const distinct = (variants: string[], original: string) => variants.filter((variant) => variant !== original);
    for (const variant of distinct([`${familyId}.${STD(secret)}`, `${familyId}=.${secret}`, `${familyId}.${secret}==`, ` ${refreshToken}`, `${familyId}. ${secret}`], refreshToken)) {
      expectProblem(await refresh(variant), 401, 'invalid_token');
    }
    const [sid, sessionSecret] = cookie.split('.') as [string, string];
    for (const variant of distinct([`${sid}.${STD(sessionSecret)}`, `${sid}.${sessionSecret}=`, `${sid}==.${sessionSecret}`], cookie)) {
      expectProblem(await t.app.inject({ method: 'GET', url: '/v1/me', headers: cookieHeader({ '__Host-tessera_session': variant }) }), 401, 'unauthenticated');
    }
    expect((await refresh(refreshToken)).statusCode).toBe(200);
  });
});

describe('revocation is keyed on sid and sub, never on the token string', () => {
  it('revoking one access token of a family kills every other access token of that family (sid)', async () => {
    t = await testApp();
    await t.register('alice');
    const first = await t.tokens('alice');
    const second = (await refresh(first.refresh)).json().access_token as string;
    const other = await t.tokens('alice');
    expect(second).not.toBe(first.access);
    expect((await revoke(first.access)).statusCode).toBe(200);
    expectProblem(await bearer(t, first.access), 401, 'token_revoked');
    expectProblem(await bearer(t, second), 401, 'token_revoked');
    // Another family of the same user is untouched.
    expect((await bearer(t, other.access)).statusCode).toBe(200);
  });

  it('disabling a user kills every access token of every family issued before (sub and iat), and new ones work after re-enabling', async () => {
    t = await testApp();
    await t.register('alice');
    const a = await t.tokens('alice');
    const b = await t.tokens('alice');
    const alice = (await t.tessera.findUserByName('alice'))!;
    await t.tessera.updateUser(alice.id, { disabled: true }, null);
    expectProblem(await bearer(t, a.access), 401, 'token_revoked');
    expectProblem(await bearer(t, b.access), 401, 'token_revoked');
    await t.tessera.updateUser(alice.id, { disabled: false }, null);
    expectProblem(await bearer(t, a.access), 401, 'token_revoked');
    const fresh = await t.tokens('alice');
    expect((await bearer(t, fresh.access)).statusCode).toBe(200);
  });

  it('stores revocations as ids and times only: no token, signature or secret reaches the revocation log', async () => {
    const db = tempDatabase();
    t = await testApp({}, fileStores(db.path));
    try {
      await t.register('alice');
      const a = await t.tokens('alice');
      const { cookie, csrf } = await t.login('alice');
      await revoke(a.access);
      await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...cookieHeader({ '__Host-tessera_session': cookie }), 'x-csrf-token': csrf } });
      const raw = new BetterSqlite3(db.path, { readonly: true });
      const rows = raw.prepare('select * from revocations').all() as Array<Record<string, unknown>>;
      raw.close();
      expect(rows.map((row) => Object.keys(row).sort())).toEqual(rows.map(() => ['at', 'delivered', 'kind', 'not_before', 'reason', 'seq', 'sid', 'type', 'user_id']));
      expect(rows.map((row) => row.sid).sort()).toEqual([a.refresh.split('.')[0], cookie.split('.')[0]].sort());
      const text = JSON.stringify(rows);
      for (const secret of [a.access, a.access.split('.')[2]!, a.refresh, a.refresh.split('.')[1]!, cookie, cookie.split('.')[1]!]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      db.remove();
    }
  });
});

describe('refresh rotation races (RFC 9700 §4.14.2)', () => {
  it('ten parallel refreshes with one token all succeed and converge on one token and one generation', async () => {
    t = await testApp();
    await t.register('alice');
    const { refresh: first } = await t.tokens('alice');
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(first)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(200));
    const tokens = new Set(answers.map((a) => a.json().refresh_token as string));
    expect(tokens.size).toBe(1);
    const family = await t.stores.families.getFamily(first.split('.')[0]!);
    expect(family).toMatchObject({ generation: 1, revokedAt: null });
    for (const answer of answers) expect((await bearer(t, answer.json().access_token)).statusCode).toBe(200);
    // The converged token is the current one: it rotates once more, to generation 2.
    expect((await refresh([...tokens][0]!)).statusCode).toBe(200);
    expect((await t.stores.families.getFamily(first.split('.')[0]!))?.generation).toBe(2);
  });

  it('the predecessor after the reuse interval is theft: 401 refresh_token_reused, and the family and all its access tokens die', async () => {
    t = await testApp();
    await t.register('alice');
    const { refresh: first, access } = await t.tokens('alice');
    const raced = await Promise.all(Array.from({ length: 5 }, () => refresh(first)));
    t.advance(10 * SECOND + 1);
    expectProblem(await refresh(first), 401, 'refresh_token_reused');
    expectProblem(await bearer(t, access), 401, 'token_revoked');
    for (const answer of raced) expectProblem(await bearer(t, answer.json().access_token), 401, 'token_revoked');
    expectProblem(await refresh(raced[0]!.json().refresh_token), 401, 'token_revoked');
    const family = await t.stores.families.getFamily(first.split('.')[0]!);
    expect(family?.revokeReason).toBe('refresh_token_reused');
  });

  it('parallel reuse of an older generation revokes the family once and never hands out a pair', async () => {
    t = await testApp();
    await t.register('alice');
    const { refresh: first } = await t.tokens('alice');
    const second = (await refresh(first)).json().refresh_token as string;
    await refresh(second);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(first)));
    expect(answers.every((a) => a.statusCode === 401)).toBe(true);
    expect(answers.map((a) => a.json().code)).toContain('refresh_token_reused');
    for (const answer of answers) expect(['refresh_token_reused', 'token_revoked']).toContain(answer.json().code);
    const audit = (await t.stores.audit.read(0, 100)).filter((e) => e.event === 'family_revoked');
    expect(audit).toHaveLength(1);
  });
});
