import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/core/errors.js';
import type { AccountToken, Challenge, Passkey } from '../../src/core/lifecyclePorts.js';
import type { Stores } from '../../src/core/ports.js';
import { T0, makeUser } from './fixtures.js';

type LifecycleStores = Pick<Stores, 'users' | 'accountTokens' | 'mail' | 'factors' | 'challenges'>;

const token = (overrides: Partial<AccountToken> = {}): AccountToken => ({
  id: 'tok-1',
  userId: 'u1',
  purpose: 'reset_password',
  secretHash: Buffer.alloc(32, 7),
  email: null,
  createdAt: T0,
  expiresAt: T0 + 60_000,
  usedAt: null,
  ...overrides,
});

const passkey = (overrides: Partial<Passkey> = {}): Passkey => ({
  id: 'cred-1',
  userId: 'u1',
  publicKey: 'pQECAyYgASFYIA',
  counter: 0,
  transports: ['internal', 'hybrid'],
  deviceType: 'multiDevice',
  backedUp: true,
  name: 'Laptop',
  createdAt: T0,
  lastUsedAt: null,
  ...overrides,
});

const challenge = (overrides: Partial<Challenge> = {}): Challenge => ({
  id: 'ch-1',
  userId: 'u1',
  purpose: 'mfa',
  secretHash: Buffer.alloc(32, 3),
  data: '{"intent":{"scheme":"session","remember":false}}',
  createdAt: T0,
  expiresAt: T0 + 300_000,
  usedAt: null,
  ...overrides,
});

/** The ports of the account lifecycle (src/core/lifecyclePorts.ts), and the user store's e-mail rules. */
export function lifecycleContract(name: string, open: () => Promise<{ stores: LifecycleStores; close(): Promise<void> }>): void {
  describe(`account lifecycle stores: ${name}`, () => {
    let s: LifecycleStores;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ stores: s, close } = await open());
    });
    afterEach(() => close());

    it('keeps an account token field for field, and lets exactly one use win before its expiry', async () => {
      const t = token({ purpose: 'verify_email', email: 'a@example.com' });
      await s.accountTokens.createToken(t);
      expect(await s.accountTokens.getToken(t.id)).toEqual(t);
      expect(await s.accountTokens.getToken('nope')).toBeNull();
      const uses = await Promise.all([s.accountTokens.useToken(t.id, T0 + 1), s.accountTokens.useToken(t.id, T0 + 1)]);
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect((await s.accountTokens.getToken(t.id))?.usedAt).toBe(T0 + 1);
      await s.accountTokens.createToken(token({ id: 'late' }));
      expect(await s.accountTokens.useToken('late', T0 + 60_000)).toBe(false);
    });

    it('voids every unused token of a user for one purpose, and only those', async () => {
      await s.accountTokens.createToken(token({ id: 'a' }));
      await s.accountTokens.createToken(token({ id: 'b' }));
      await s.accountTokens.createToken(token({ id: 'c', purpose: 'verify_email' }));
      await s.accountTokens.createToken(token({ id: 'd', userId: 'u2' }));
      await s.accountTokens.useAll('u1', 'reset_password', T0 + 5);
      expect((await s.accountTokens.getToken('a'))?.usedAt).toBe(T0 + 5);
      expect((await s.accountTokens.getToken('b'))?.usedAt).toBe(T0 + 5);
      expect((await s.accountTokens.getToken('c'))?.usedAt).toBeNull();
      expect((await s.accountTokens.getToken('d'))?.usedAt).toBeNull();
    });

    it('queues mail durably: a claim leases due jobs to one worker, a failure is retried later, a sent job is done', async () => {
      await s.mail.enqueue({ kind: 'mail', recipient: 'a@example.com', payload: '{"n":1}' }, T0);
      await s.mail.enqueue({ kind: 'reset_request', recipient: null, payload: '{"n":2}' }, T0);
      await s.mail.enqueue({ kind: 'mail', recipient: 'b@example.com', payload: '{"n":3}' }, T0 + 10_000);
      expect(await s.mail.pending()).toBe(3);
      const [first, second] = await Promise.all([s.mail.claim(T0, T0 + 120_000, 10), s.mail.claim(T0, T0 + 120_000, 10)]);
      const claimed = [...first!, ...second!];
      expect(claimed.map((j) => j.payload).sort()).toEqual(['{"n":1}', '{"n":2}']);
      expect(claimed.find((j) => j.payload === '{"n":2}')).toMatchObject({ kind: 'reset_request', recipient: null, attempts: 0 });
      // Leased: not due again until the lease ends; the third is due at its own time.
      expect((await s.mail.claim(T0 + 10_000, T0 + 130_000, 10)).map((j) => j.payload)).toEqual(['{"n":3}']);
      const one = claimed.find((j) => j.payload === '{"n":1}')!;
      await s.mail.markFailed(one.id, 'connection refused', T0 + 20_000);
      await s.mail.markSent(claimed.find((j) => j.payload === '{"n":2}')!.id, T0 + 1);
      expect(await s.mail.pending()).toBe(2);
      expect(await s.mail.claim(T0 + 19_999, T0 + 200_000, 10)).toEqual([]);
      expect(await s.mail.claim(T0 + 20_000, T0 + 200_000, 10)).toEqual([{ ...one, attempts: 1 }]);
    });

    it('keeps a TOTP factor; a time step is accepted once, and never an earlier one', async () => {
      await s.factors.saveTotp({ userId: 'u1', secret: 'enc:k1:x', createdAt: T0, confirmedAt: null, lastStep: 0 });
      expect(await s.factors.getTotp('u1')).toEqual({ userId: 'u1', secret: 'enc:k1:x', createdAt: T0, confirmedAt: null, lastStep: 0 });
      expect(await s.factors.hasSecondFactor('u1')).toBe(false);
      await s.factors.confirmTotp('u1', T0 + 1);
      expect((await s.factors.getTotp('u1'))?.confirmedAt).toBe(T0 + 1);
      expect(await s.factors.hasSecondFactor('u1')).toBe(true);
      expect(await s.factors.hasSecondFactor('u2')).toBe(false);
      const racing = await Promise.all([s.factors.useTotpStep('u1', 100), s.factors.useTotpStep('u1', 100)]);
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await s.factors.useTotpStep('u1', 99)).toBe(false);
      expect(await s.factors.useTotpStep('u1', 101)).toBe(true);
      expect(await s.factors.deleteTotp('u1')).toBe(true);
      expect(await s.factors.deleteTotp('u1')).toBe(false);
      expect(await s.factors.getTotp('u1')).toBeNull();
    });

    it('uses a recovery code once, and replacing the codes voids the old ones', async () => {
      await s.factors.replaceRecoveryCodes('u1', ['h1', 'h2']);
      await s.factors.replaceRecoveryCodes('u2', ['h1']);
      expect(await s.factors.countRecoveryCodes('u1')).toBe(2);
      const racing = await Promise.all([s.factors.useRecoveryCode('u1', 'h1', T0), s.factors.useRecoveryCode('u1', 'h1', T0)]);
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await s.factors.countRecoveryCodes('u1')).toBe(1);
      expect(await s.factors.countRecoveryCodes('u2')).toBe(1);
      await s.factors.replaceRecoveryCodes('u1', ['h3']);
      expect(await s.factors.useRecoveryCode('u1', 'h2', T0)).toBe(false);
      expect(await s.factors.useRecoveryCode('u1', 'h3', T0)).toBe(true);
    });

    it('keeps passkeys per user: list, use, rename and delete only one’s own, and delete them all', async () => {
      const key = passkey();
      await s.factors.addPasskey(key);
      await s.factors.addPasskey(passkey({ id: 'cred-2', name: 'Phone', deviceType: 'singleDevice', backedUp: false, createdAt: T0 + 1 }));
      await s.factors.addPasskey(passkey({ id: 'cred-3', userId: 'u2' }));
      expect(await s.factors.getPasskey('cred-1')).toEqual(key);
      expect((await s.factors.listPasskeys('u1')).map((k) => k.id)).toEqual(['cred-1', 'cred-2']);
      expect(await s.factors.hasSecondFactor('u1')).toBe(true);
      await s.factors.usePasskey('cred-1', 5, T0 + 10);
      expect(await s.factors.getPasskey('cred-1')).toMatchObject({ counter: 5, lastUsedAt: T0 + 10 });
      expect(await s.factors.renamePasskey('cred-1', 'u2', 'Stolen')).toBe(false);
      expect(await s.factors.renamePasskey('cred-1', 'u1', 'Work laptop')).toBe(true);
      expect((await s.factors.getPasskey('cred-1'))?.name).toBe('Work laptop');
      expect(await s.factors.deletePasskey('cred-3', 'u1')).toBe(false);
      expect(await s.factors.deletePasskey('cred-2', 'u1')).toBe(true);
      await s.factors.saveTotp({ userId: 'u1', secret: 's', createdAt: T0, confirmedAt: T0, lastStep: 0 });
      await s.factors.replaceRecoveryCodes('u1', ['h']);
      await s.factors.deleteAllFactors('u1');
      expect(await s.factors.listPasskeys('u1')).toEqual([]);
      expect(await s.factors.getTotp('u1')).toBeNull();
      expect(await s.factors.countRecoveryCodes('u1')).toBe(0);
      expect(await s.factors.hasSecondFactor('u1')).toBe(false);
      expect(await s.factors.listPasskeys('u2')).toHaveLength(1);
    });

    it('spends a challenge once, and never after its expiry', async () => {
      const c = challenge();
      await s.challenges.createChallenge(c);
      await s.challenges.createChallenge(challenge({ id: 'ch-2', userId: null, purpose: 'webauthn_login' }));
      expect(await s.challenges.getChallenge('ch-1')).toEqual(c);
      expect(await s.challenges.getChallenge('ch-2')).toMatchObject({ userId: null, purpose: 'webauthn_login' });
      const racing = await Promise.all([s.challenges.useChallenge('ch-1', T0 + 1), s.challenges.useChallenge('ch-1', T0 + 1)]);
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await s.challenges.useChallenge('ch-2', T0 + 300_000)).toBe(false);
    });

    it('finds a user by verified address only, and refuses to verify an address another user verified', async () => {
      const alice = makeUser({ id: '018f0000-0000-7000-8000-00000000000a', username: 'alice', usernameKey: 'alice', email: 'A@x.example', emailKey: 'a@x.example' });
      const bob = makeUser({ id: '018f0000-0000-7000-8000-00000000000b', username: 'bob', usernameKey: 'bob', email: 'a@X.example', emailKey: 'a@x.example' });
      await s.users.createUser(alice);
      await s.users.createUser(bob);
      expect(await s.users.findUserByEmail('a@x.example')).toBeNull();
      expect(await s.users.updateUser(alice.id, { emailVerified: true })).toMatchObject({ emailVerified: true });
      expect((await s.users.findUserByEmail('a@x.example'))?.id).toBe(alice.id);
      const error: unknown = await s.users.updateUser(bob.id, { emailVerified: true }).catch((e: unknown) => e);
      expect(isAuthError(error, 'email_taken')).toBe(true);
      expect((await s.users.findUserById(bob.id))?.emailVerified).toBe(false);
    });
  });
}
