import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DAY, SECOND } from '../../src/core/clock.js';
import type { User } from '../../src/core/model.js';
import { CLIENT, codeOf, issueTokens, PASSWORD, peerOf, testCore, type TestCore } from '../support/core.js';

let c: TestCore;
let alice: User;
beforeEach(async () => {
  c = await testCore();
  alice = await c.tessera.register('alice', PASSWORD, CLIENT);
});
afterEach(() => c.tessera.close());

describe('refresh rotation', () => {
  it('rotates on every use: each token is spent once, and the family keeps its id', async () => {
    const first = await issueTokens(c, alice, 'body');
    c.advance(60 * SECOND);
    const second = await c.tessera.refresh(first.refreshToken, CLIENT);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.family.id).toBe(first.family.id);
    expect(second.family.generation).toBe(1);
    const stored = await c.stores.families.getFamily(first.family.id);
    expect(stored?.secretHash.equals(second.family.secretHash)).toBe(true);
  });

  it('derives the same successor for concurrent refreshes of one token', async () => {
    const first = await issueTokens(c, alice, 'body');
    const results = await Promise.all(Array.from({ length: 8 }, () => c.tessera.refresh(first.refreshToken, CLIENT)));
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    expect((await c.stores.families.getFamily(first.family.id))?.generation).toBe(1);
  });

  it('accepts the immediate predecessor inside the reuse interval, and only it', async () => {
    const g0 = await issueTokens(c, alice, 'body');
    const g1 = await c.tessera.refresh(g0.refreshToken, CLIENT);
    c.advance(10 * SECOND);
    const again = await c.tessera.refresh(g0.refreshToken, CLIENT);
    expect(again.refreshToken).toBe(g1.refreshToken);
    expect((await c.stores.families.getFamily(g0.family.id))?.revokedAt).toBeNull();
  });

  it('revokes the family for the predecessor after the interval', async () => {
    const g0 = await issueTokens(c, alice, 'body');
    const g1 = await c.tessera.refresh(g0.refreshToken, CLIENT);
    c.advance(10 * SECOND + 1);
    expect(await codeOf(c.tessera.refresh(g0.refreshToken, CLIENT))).toBe('refresh_token_reused');
    expect(await codeOf(c.tessera.refresh(g1.refreshToken, CLIENT))).toBe('token_revoked');
    expect(await codeOf(c.tessera.verifyAccessToken(g1.accessToken))).toBe('token_revoked');
    const audit = await c.stores.audit.tail(10);
    expect(audit.map((e) => e.event)).toEqual(expect.arrayContaining(['family_revoked', 'refresh_reuse_detected']));
  });

  it('revokes the family for an older generation even inside the interval', async () => {
    const g0 = await issueTokens(c, alice, 'body');
    const g1 = await c.tessera.refresh(g0.refreshToken, CLIENT);
    await c.tessera.refresh(g1.refreshToken, CLIENT);
    expect(await codeOf(c.tessera.refresh(g0.refreshToken, CLIENT))).toBe('refresh_token_reused');
  });

  it('ends a family at 30 idle days and at 90 days however active', async () => {
    const idle = await issueTokens(c, alice, 'body');
    c.advance(30 * DAY - 1);
    let busy = await c.tessera.refresh(idle.refreshToken, CLIENT);
    c.advance(30 * DAY);
    expect(await codeOf(c.tessera.refresh(busy.refreshToken, CLIENT))).toBe('token_expired');

    const active = await issueTokens(c, alice, 'body');
    busy = active;
    for (let day = 0; day < 89; day += 10) {
      c.advance(10 * DAY);
      if (day + 10 < 90) busy = await c.tessera.refresh(busy.refreshToken, CLIENT);
    }
    expect(await codeOf(c.tessera.refresh(busy.refreshToken, CLIENT))).toBe('token_expired');
  });

  it('refuses a disabled owner, and mints the new role after a demotion', async () => {
    const admin = await c.tessera.register('root', PASSWORD, null, 'admin');
    const pair = await issueTokens(c, admin, 'body');
    await c.tessera.updateUser(admin.id, { role: 'user' }, null);
    expect(await codeOf(c.tessera.verifyAccessToken(pair.accessToken))).toBe('token_revoked');
    const renewed = await c.tessera.refresh(pair.refreshToken, CLIENT);
    const claims = await c.tessera.verifyAccessToken(renewed.accessToken);
    expect(claims.role).toBe('user');
    await c.tessera.updateUser(admin.id, { disabled: true }, null);
    expect(await codeOf(c.tessera.refresh(renewed.refreshToken, CLIENT))).toBe('token_revoked');
    expect(await codeOf(c.tessera.verifyAccessToken(renewed.accessToken))).toBe('token_revoked');
  });
});

describe('revocation of access tokens', () => {
  it('kills a family’s access tokens at once, keyed on sid, without touching other families', async () => {
    const a = await issueTokens(c, alice, 'body');
    const b = await issueTokens(c, alice, 'body');
    await c.tessera.verifyAccessToken(a.accessToken); // now cached
    await c.tessera.revokeFamily(a.family.id, 'revoked', CLIENT);
    expect(await codeOf(c.tessera.verifyAccessToken(a.accessToken))).toBe('token_revoked');
    expect(await codeOf(c.tessera.verifyAccessToken(b.accessToken))).toBe('ok');
  });

  it('kills every earlier token of a user with the not-before of a revoke-all', async () => {
    const a = await issueTokens(c, alice, 'body');
    await c.tessera.revokeEverything(alice.id, null);
    expect(await codeOf(c.tessera.verifyAccessToken(a.accessToken))).toBe('token_revoked');
    expect(await codeOf(c.tessera.refresh(a.refreshToken, CLIENT))).toBe('token_revoked');
    // A token minted in the same second, after the revocation, is valid: its iat moves up.
    c.advance(1);
    const fresh = await issueTokens(c, alice, 'body');
    expect(await codeOf(c.tessera.verifyAccessToken(fresh.accessToken))).toBe('ok');
  });

  it('forgets deny entries once no token they refuse can be in flight', async () => {
    const a = await issueTokens(c, alice, 'body');
    await c.tessera.revokeFamily(a.family.id, 'revoked', CLIENT);
    expect(c.tessera.denyViewSize).toBe(1);
    c.advance(15 * 60 * SECOND + 5 * SECOND); // the heartbeat at the new time prunes
    expect(c.tessera.denyViewSize).toBe(0);
    expect(await codeOf(c.tessera.verifyAccessToken(a.accessToken))).toBe('token_expired');
  });

  it('is delivered to another instance on the same database', async () => {
    const a = await issueTokens(c, alice, 'body');
    const peer = await peerOf(c);
    try {
      expect(await codeOf(peer.verifyAccessToken(a.accessToken))).toBe('ok');
      await c.tessera.revokeFamily(a.family.id, 'revoked', CLIENT);
      await vi.waitFor(async () => expect(await codeOf(peer.verifyAccessToken(a.accessToken))).toBe('token_revoked'), { timeout: 5000, interval: 20 });
    } finally {
      await peer.close();
    }
  });
});
