import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/core/crypto.js';
import type { TokenFamily } from '../../src/core/model.js';
import type { FamilyStore } from '../../src/core/ports.js';
import { credentialCases } from './credentialCases.js';
import { T0, makeFamily } from './fixtures.js';

export function familyStoreContract(name: string, open: () => Promise<{ store: FamilyStore; close(): Promise<void> }>): void {
  describe(`FamilyStore contract: ${name}`, () => {
    let store: FamilyStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    credentialCases<TokenFamily>(() => ({
      create: (record, cap, now) => store.createFamily(record, cap, now),
      get: (id) => store.getFamily(id),
      revoke: (id, reason, now) => store.revokeFamily(id, reason, now),
      list: (userId, now) => store.listFamilies(userId, now),
      purge: (before) => store.purgeFamilies(before),
      make: makeFamily,
    }));

    it('keeps the transport and the generation', async () => {
      const family = makeFamily({ transport: 'cookie', generation: 7 });
      await store.createFamily(family, 5, T0);
      expect(await store.getFamily(family.id)).toEqual(family);
    });

    it('rotates from the current generation, storing the new digest and time', async () => {
      const family = makeFamily();
      await store.createFamily(family, 5, T0);
      const next = sha256('next');
      const rotated = await store.rotateFamily(family.id, 0, next, T0 + 1000);
      const expected = { ...family, generation: 1, secretHash: next, rotatedAt: T0 + 1000 };
      expect(rotated).toEqual(expected);
      expect(await store.getFamily(family.id)).toEqual(expected);
      expect(await store.rotateFamily(family.id, 1, sha256('third'), T0 + 2000)).toMatchObject({ generation: 2, rotatedAt: T0 + 2000 });
    });

    it('refuses a rotation from a spent generation, of a revoked family, or of an unknown id', async () => {
      const family = makeFamily();
      await store.createFamily(family, 5, T0);
      await store.rotateFamily(family.id, 0, sha256('one'), T0 + 1000);
      expect(await store.rotateFamily(family.id, 0, sha256('stale'), T0 + 2000)).toBeNull();
      expect(await store.rotateFamily(family.id, 5, sha256('ahead'), T0 + 2000)).toBeNull();
      expect(await store.getFamily(family.id)).toMatchObject({ generation: 1, secretHash: sha256('one') });
      await store.revokeFamily(family.id, 'logout', T0 + 3000);
      expect(await store.rotateFamily(family.id, 1, sha256('dead'), T0 + 4000)).toBeNull();
      expect(await store.getFamily(family.id)).toMatchObject({ generation: 1, revokedAt: T0 + 3000 });
      expect(await store.rotateFamily('unknown-id-0000000000', 0, sha256('x'), T0)).toBeNull();
    });

    it('lets exactly one of several concurrent rotations win', async () => {
      const family = makeFamily();
      await store.createFamily(family, 5, T0);
      const digests = Array.from({ length: 10 }, (_, i) => sha256(`candidate-${i}`));
      const results = await Promise.all(digests.map((d) => store.rotateFamily(family.id, 0, d, T0 + 1000)));
      const winners = results.filter((r): r is TokenFamily => r !== null);
      expect(winners).toHaveLength(1);
      expect(await store.getFamily(family.id)).toEqual(winners[0]);
      expect(winners[0]?.generation).toBe(1);
    });

    it('restarts the idle window on rotation, but not the absolute end', async () => {
      const family = makeFamily({ idleTimeoutMs: 60_000, expiresAt: T0 + 150_000 });
      await store.createFamily(family, 5, T0);
      await store.rotateFamily(family.id, 0, sha256('one'), T0 + 50_000);
      expect(await store.listFamilies(family.userId, T0 + 100_000)).toHaveLength(1);
      expect(await store.listFamilies(family.userId, T0 + 110_000)).toEqual([]);
      await store.rotateFamily(family.id, 1, sha256('two'), T0 + 100_000);
      expect(await store.listFamilies(family.userId, T0 + 150_000)).toEqual([]);
      expect(await store.purgeFamilies(T0 + 150_000)).toBe(0);
      expect(await store.purgeFamilies(T0 + 150_001)).toBe(1);
    });
  });
}
