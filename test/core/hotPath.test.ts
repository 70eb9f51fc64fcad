import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/core/clock.js';
import type { Session, User } from '../../src/core/model.js';
import type { SessionStore } from '../../src/core/ports.js';
import { CLIENT, codeOf, issueTokens, openSession, PASSWORD, testCore, type TestCore } from '../support/core.js';

/**
 * The synchronous hot path (issue 6): verifyNow and validateCached answer what verify and validate
 * answer, without waiting, or null when only the stores can tell.
 */
let c: TestCore;
let alice: User;
beforeEach(async () => {
  c = await testCore();
  alice = await c.tessera.register('alice', PASSWORD, CLIENT);
});
afterEach(() => c.tessera.close());

const codeNow = (check: () => unknown): Promise<string> => codeOf(Promise.resolve().then(check));

function countReads(store: SessionStore): { reads: number } {
  const counter = { reads: 0 };
  const get = store.getSession.bind(store);
  store.getSession = (id: string): Promise<Session | null> => {
    counter.reads++;
    return get(id);
  };
  return counter;
}

describe('TokenVerifier.verifyNow', () => {
  it('is null for a token not verified yet, then answers from the cache, and consults the deny view on every use', async () => {
    const { accessToken, family } = await issueTokens(c, alice, 'body');
    expect(c.tessera.verifyAccessTokenNow(accessToken)).toBeNull();
    expect((await c.tessera.verifyAccessToken(accessToken)).sub).toBe(alice.id);
    expect(c.tessera.verifyAccessTokenNow(accessToken)?.sid).toBe(family.id);
    await c.tessera.revokeFamily(family.id, 'revoked', CLIENT);
    expect(await codeNow(() => c.tessera.verifyAccessTokenNow(accessToken))).toBe('token_revoked');
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
      expect(c.tessera.verifyAccessTokenNow(forged)).toBeNull();
      expect(await codeOf(c.tessera.verifyAccessToken(forged))).toBe('invalid_token');
    }
    expect(c.tessera.verifyAccessTokenNow(accessToken)?.role).toBe('user');
  });

  it('never caches what verify refuses, and answers 503 first while the feed is stale', async () => {
    const { accessToken } = await issueTokens(c, alice, 'body');
    // The signature's first character changed: still canonical base64url, never the same token.
    const at = accessToken.lastIndexOf('.') + 1;
    const tampered = `${accessToken.slice(0, at)}${accessToken[at] === 'A' ? 'B' : 'A'}${accessToken.slice(at + 1)}`;
    expect(tampered).not.toBe(accessToken);
    for (const token of ['x.y.z', `${accessToken}=`, tampered]) {
      expect(await codeOf(c.tessera.verifyAccessToken(token))).toBe('invalid_token');
      expect(c.tessera.verifyAccessTokenNow(token)).toBeNull();
    }
    await c.tessera.verifyAccessToken(accessToken);
    c.clock.advance(11 * SECOND);
    expect(await codeNow(() => c.tessera.verifyAccessTokenNow(accessToken))).toBe('unavailable');
    expect(await codeOf(c.tessera.verifyAccessToken(tampered))).toBe('unavailable');
  });
});

describe('Sessions.validateCached', () => {
  it('is null until validate has cached the session, then answers without a store read', async () => {
    const { token, session } = await openSession(c, alice, false);
    const counter = countReads(c.stores.sessions);
    expect(c.tessera.validateSessionNow(token)).toBeNull();
    await c.tessera.validateSession(token);
    expect(c.tessera.validateSessionNow(token)?.session.id).toBe(session.id);
    expect(counter.reads).toBe(1);
  });

  it('refuses a wrong secret and a revoked session like validate', async () => {
    const { token, session } = await openSession(c, alice, false);
    await c.tessera.validateSession(token);
    const [id, secret = ''] = token.split('.');
    const wrong = `${id}.${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await codeNow(() => c.tessera.validateSessionNow(wrong))).toBe('unauthenticated');
    expect(await codeNow(() => c.tessera.validateSessionNow('not-a-cookie'))).toBe('unauthenticated');
    await c.tessera.logOut(session, CLIENT);
    expect(await codeNow(() => c.tessera.validateSessionNow(token))).toBe('session_revoked');
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
    expect(c.tessera.validateSessionNow(token)).toBeNull();
    await c.tessera.validateSession(token);
    expect(counter.reads).toBe(1);
  });
});
