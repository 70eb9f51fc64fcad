import { afterEach, describe, expect, it } from 'vitest';
import { Argon2Hasher } from '../../src/adapters/argon2.js';
import { AuthError } from '../../src/core/errors.js';
import type { PasswordHasher } from '../../src/core/ports.js';
import { CLIENT, codeOf, issueTokens, openSession, PASSWORD, peerOf, testCore, type TestCore } from '../support/core.js';

let c: TestCore;
afterEach(() => c.tessera.close());

describe('login under load and abuse', () => {
  it('audits a throttled account once per back-off window, not once per attempt', async () => {
    c = await testCore();
    await c.tessera.register('alice', PASSWORD, CLIENT);
    for (let i = 0; i < 5; i++) await codeOf(c.tessera.logInWithSession('alice', `wrong password ${i}`, false, undefined, CLIENT));
    for (let i = 0; i < 10; i++) expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('rate_limited');
    const throttled = async () => (await c.stores.audit.tail(100)).filter((e) => e.event === 'login_throttled').length;
    expect(await throttled()).toBe(1);
    c.advance(1000); // the 1 s back-off has passed: a failure, then a new window
    await codeOf(c.tessera.logInWithSession('alice', 'wrong again, long enough', false, undefined, CLIENT));
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('rate_limited');
    expect(await throttled()).toBe(2);
  });

  it('refuses a blocked account again without reading the limiter until its back-off ends, with the same Retry-After', async () => {
    c = await testCore();
    await c.tessera.register('alice', PASSWORD, CLIENT);
    for (let i = 0; i < 5; i++) await codeOf(c.tessera.logInWithSession('alice', `wrong password ${i}`, false, undefined, CLIENT));
    c.advance(1000); // past the 1 s back-off of 5 failures: a sixth, then 2 s
    expect(await codeOf(c.tessera.logInWithSession('alice', 'wrong password 5', false, undefined, CLIENT))).toBe('invalid_credentials');
    let peeks = 0;
    const peek = c.stores.limiter.peek.bind(c.stores.limiter);
    c.stores.limiter.peek = (key, now) => (peeks++, peek(key, now));
    const refusal = () => c.tessera.logInWithSession('Alice ', PASSWORD, false, undefined, CLIENT).catch((e: AuthError) => e);
    expect(await refusal()).toMatchObject({ code: 'rate_limited', retryAfter: 2 });
    const afterFirst = peeks;
    expect(afterFirst).toBeGreaterThan(0);
    c.advance(1000);
    expect(await refusal()).toMatchObject({ code: 'rate_limited', retryAfter: 1 });
    expect(peeks).toBe(afterFirst);
    c.advance(1000); // the back-off has ended: the store decides again
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
    expect(peeks).toBeGreaterThan(afterFirst);
  });

  it('clears the failures with a success, and writes nothing to the limiter when there were none', async () => {
    c = await testCore();
    await c.tessera.register('alice', PASSWORD, CLIENT);
    let resets = 0;
    const reset = c.stores.limiter.reset.bind(c.stores.limiter);
    c.stores.limiter.reset = (key) => (resets++, reset(key));
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
    expect(resets).toBe(0);
    for (let i = 0; i < 4; i++) await codeOf(c.tessera.logInWithSession('alice', `wrong password ${i}`, false, undefined, CLIENT));
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
    expect(resets).toBe(1);
    // Cleared: four more failures leave no back-off, as for a fresh account (eight would).
    for (let i = 0; i < 4; i++) await codeOf(c.tessera.logInWithSession('alice', `wrong password ${i}`, false, undefined, CLIENT));
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
  });

  it('upgrades a hash made with other Argon2id settings at the next login (TESSERA_ARGON2)', async () => {
    c = await testCore({ TESSERA_ARGON2: 'm=1024,t=1' });
    await c.tessera.register('alice', PASSWORD, CLIENT);
    const stored = async () => (await c.stores.users.findUserByKey('alice'))?.passwordHash;
    expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    const peer = await peerOf(c, { TESSERA_ARGON2: 'm=2048,t=2' });
    try {
      expect(await codeOf(peer.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
      expect(await stored()).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
      // The string carries its own settings, so an instance still on the old ones signs the user in too.
      expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
    } finally {
      await peer.close();
    }
  });

  it('refuses at once, with no store work, when no hash could start', async () => {
    const real = new Argon2Hasher({ concurrency: 4, queue: 64 });
    let full = false;
    const hasher: PasswordHasher = {
      hash: (p) => real.hash(p),
      verify: (h, p) => real.verify(h, p),
      needsRehash: (h) => real.needsRehash(h),
      saturated: () => full,
    };
    c = await testCore({}, hasher);
    await c.tessera.register('alice', PASSWORD, CLIENT);
    let lookups = 0;
    const find = c.stores.users.findUserByKey.bind(c.stores.users);
    c.stores.users.findUserByKey = (key) => (lookups++, find(key));
    full = true;
    const error = await c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT).catch((e: AuthError) => e);
    expect(error).toMatchObject({ code: 'unavailable', retryAfter: 1 });
    expect(await codeOf(c.tessera.register('bob', PASSWORD, CLIENT))).toBe('unavailable');
    expect(lookups).toBe(0);
    full = false;
    expect(await codeOf(c.tessera.logInWithSession('alice', PASSWORD, false, undefined, CLIENT))).toBe('ok');
  });
});

describe('administrative changes', () => {
  it('name the acting administrator in the audit trail', async () => {
    c = await testCore();
    const alice = await c.tessera.register('alice', PASSWORD, CLIENT);
    await c.tessera.updateUser(alice.id, { role: 'admin' }, { ...CLIENT, actorId: 'admin-1' });
    const entry = (await c.stores.audit.tail(1))[0]!;
    expect(entry).toMatchObject({ event: 'role_changed', userId: alice.id, reason: 'user -> admin (by admin-1)' });
  });

  it('end every session and family on a disable, so that enabling revives none', async () => {
    c = await testCore();
    const alice = await c.tessera.register('alice', PASSWORD, CLIENT);
    const { token } = await openSession(c, alice, false);
    const pair = await issueTokens(c, alice, 'body');
    await c.tessera.updateUser(alice.id, { disabled: true }, null);
    await c.tessera.updateUser(alice.id, { disabled: false }, null);
    expect(await codeOf(c.tessera.validateSession(token))).toBe('session_revoked');
    expect(await codeOf(c.tessera.refresh(pair.refreshToken, CLIENT))).toBe('token_revoked');
  });
});
