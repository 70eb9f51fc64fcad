import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/core/clock.js';
import type { Session, User } from '../../src/core/model.js';
import type { SessionStore } from '../../src/core/ports.js';
import { CLIENT, codeOf, issueTokens, openSession, PASSWORD, testCore, type TestCore } from '../support/core.js';

/**
 * The hot path (issues 6 and 14): one check per credential, which answers at once (a value, no
 * promise) when this instance's caches can tell, and a promise only when a signature or a store must be
 * consulted. Both answers come from the same function, and agree.
 */
let c: TestCore;
let alice: User;
beforeEach(async () => {
  c = await testCore();
  alice = await c.tessera.register('alice', PASSWORD, CLIENT);
});
afterEach(() => c.tessera.close());

const codeNow = (check: () => unknown): Promise<string> => codeOf(Promise.resolve().then(check));

/** A check's answer when it did not wait: its value; null when it returned a promise. */
function atOnce<T>(answer: T | Promise<T>): T | null {
  if (!(answer instanceof Promise)) return answer;
  answer.catch(() => undefined);
  return null;
}

function countReads(store: SessionStore): { reads: number } {
  const counter = { reads: 0 };
  const get = store.getSession.bind(store);
  store.getSession = (id: string): Promise<Session | null> => {
    counter.reads++;
    return get(id);
  };
  return counter;
}

describe('checkAccessToken, at once and after waiting', () => {
  it('is null for a token not verified yet, then answers from the cache, and consults the deny view on every use', async () => {
    const { accessToken, family } = await issueTokens(c, alice, 'body');
    expect(atOnce(c.tessera.checkAccessToken(accessToken))).toBeNull();
    expect((await c.tessera.verifyAccessToken(accessToken)).sub).toBe(alice.id);
    expect(atOnce(c.tessera.checkAccessToken(accessToken))?.sid).toBe(family.id);
    await c.tessera.revokeFamily(family.id, 'revoked', CLIENT);
    expect(await codeNow(() => atOnce(c.tessera.checkAccessToken(accessToken)))).toBe('token_revoked');
    expect(await codeOf(c.tessera.verifyAccessToken(accessToken))).toBe('token_revoked');
  });

  it('gives the claims of a cached token only to that exact token, not to one that shares its signature', async () => {
    const { accessToken } = await issueTokens(c, alice, 'body');
    expect((await c.tessera.verifyAccessToken(accessToken)).role).toBe('user'); // now cached
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    // Same signature, so the same cache key: the look-up finds the entry and must still refuse.
    for (const forged of [`${header}.${promoted}.${signature}`, `x${accessToken}`]) {
      expect(atOnce(c.tessera.checkAccessToken(forged))).toBeNull();
      expect(await codeOf(c.tessera.verifyAccessToken(forged))).toBe('invalid_token');
    }
    expect(atOnce(c.tessera.checkAccessToken(accessToken))?.role).toBe('user');
  });

  it('never caches what verify refuses, and answers 503 first while the feed is stale', async () => {
    const { accessToken } = await issueTokens(c, alice, 'body');
    // The signature's first character changed: still canonical base64url, never the same token.
    const at = accessToken.lastIndexOf('.') + 1;
    const tampered = `${accessToken.slice(0, at)}${accessToken[at] === 'A' ? 'B' : 'A'}${accessToken.slice(at + 1)}`;
    expect(tampered).not.toBe(accessToken);
    for (const token of ['x.y.z', `${accessToken}=`, tampered]) {
      expect(await codeOf(c.tessera.verifyAccessToken(token))).toBe('invalid_token');
      expect(atOnce(c.tessera.checkAccessToken(token))).toBeNull();
    }
    await c.tessera.verifyAccessToken(accessToken);
    c.clock.advance(11 * SECOND);
    expect(await codeNow(() => atOnce(c.tessera.checkAccessToken(accessToken)))).toBe('unavailable');
    expect(await codeOf(c.tessera.verifyAccessToken(tampered))).toBe('unavailable');
  });
});

describe('checkSession, at once and after waiting', () => {
  it('waits for the store until the session is cached, then answers at once without a store read', async () => {
    const { token, session } = await openSession(c, alice, false);
    const counter = countReads(c.stores.sessions);
    // Not cached yet: the same check reads the store, so it answers with a promise.
    const first = c.tessera.checkSession(token);
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(atOnce(c.tessera.checkSession(token))?.session.id).toBe(session.id);
    expect(counter.reads).toBe(1);
  });

  it('refuses a wrong secret and a revoked session like validate', async () => {
    const { token, session } = await openSession(c, alice, false);
    await c.tessera.validateSession(token);
    const [id, secret = ''] = token.split('.');
    const wrong = `${id}.${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await codeNow(() => atOnce(c.tessera.checkSession(wrong)))).toBe('unauthenticated');
    expect(await codeNow(() => atOnce(c.tessera.checkSession('not-a-cookie')))).toBe('unauthenticated');
    await c.tessera.logOut(session, CLIENT);
    expect(await codeNow(() => atOnce(c.tessera.checkSession(token)))).toBe('session_revoked');
  });

  it('serves a cached record for cacheTtlMs at most, however often it is used', async () => {
    const { token } = await openSession(c, alice, false);
    await c.tessera.validateSession(token);
    const counter = countReads(c.stores.sessions);
    for (let i = 0; i < 5; i++) {
      c.advance(5 * SECOND);
      await c.tessera.validateSession(token);
    }
    expect(counter.reads).toBe(0);
    c.advance(6 * SECOND); // 31 s since the record was read
    const reread = c.tessera.checkSession(token);
    expect(reread).toBeInstanceOf(Promise);
    await reread;
    expect(counter.reads).toBe(1);
  });
});

describe('the answer at once and the answer after waiting agree', () => {
  it('for a live, a revoked and an expired credential of each kind', async () => {
    const { token, session } = await openSession(c, alice, false);
    const { accessToken, family } = await issueTokens(c, alice, 'body');
    const waited = async () => [await codeOf(c.tessera.validateSession(token)), await codeOf(c.tessera.verifyAccessToken(accessToken))];
    const immediate = async () => [await codeNow(() => atOnce(c.tessera.checkSession(token))), await codeNow(() => atOnce(c.tessera.checkAccessToken(accessToken)))];
    const live = await waited(); // now cached
    expect(await immediate()).toEqual(live);
    expect((atOnce(c.tessera.checkSession(token)))?.session.id).toBe(session.id);
    expect((atOnce(c.tessera.checkAccessToken(accessToken)))?.sid).toBe(family.id);
    await c.tessera.logOut(session, CLIENT);
    await c.tessera.revokeFamily(family.id, 'revoked', CLIENT);
    expect(await immediate()).toEqual(await waited());
    expect(await waited()).toEqual(['session_revoked', 'token_revoked']);
  });
});
