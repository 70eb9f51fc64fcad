import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredKey } from '../../src/core/model.js';
import type { KeyStore } from '../../src/core/ports.js';
import { T0 } from './fixtures.js';

const key = (kid: string, createdAt: number, overrides: Partial<StoredKey> = {}): StoredKey => ({
  kid,
  alg: 'EdDSA',
  publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: kid }),
  privateJwk: `enc:v1:${kid}`,
  createdAt,
  activatesAt: createdAt,
  retiredAt: null,
  ...overrides,
});

export function keyStoreContract(name: string, open: () => Promise<{ store: KeyStore; close(): Promise<void> }>): void {
  describe(`KeyStore contract: ${name}`, () => {
    let store: KeyStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    it('lists nothing at first', async () => {
      expect(await store.listKeys()).toEqual([]);
    });

    it('lists every key newest first, field for field', async () => {
      const keys = [key('k1', T0), key('k3', T0 + 2, { alg: 'HS256', publicJwk: null }), key('k2', T0 + 1, { retiredAt: T0 + 5 })];
      for (const k of keys) await store.insertKey(k);
      expect(await store.listKeys()).toEqual([keys[1], keys[2], keys[0]]);
    });

    it('retires every unretired key except the one to keep, leaving earlier retirements', async () => {
      await store.insertKey(key('old', T0, { retiredAt: T0 + 1 }));
      await store.insertKey(key('mid', T0 + 2));
      await store.insertKey(key('new', T0 + 3));
      await store.retireKeysExcept('new', T0 + 10);
      const byKid = new Map((await store.listKeys()).map((k) => [k.kid, k.retiredAt]));
      expect(Object.fromEntries(byKid)).toEqual({ new: null, mid: T0 + 10, old: T0 + 1 });
    });

    it('deletes a key, and deleting an unknown kid is harmless', async () => {
      await store.insertKey(key('a', T0));
      await store.insertKey(key('b', T0 + 1));
      await store.deleteKey('a');
      await store.deleteKey('nope');
      expect((await store.listKeys()).map((k) => k.kid)).toEqual(['b']);
    });

    it('keeps the first secret stored under a name', async () => {
      expect(await store.ensureSecret('server', 'first')).toBe('first');
      expect(await store.ensureSecret('server', 'second')).toBe('first');
      expect(await store.ensureSecret('other', 'third')).toBe('third');
    });

    it('makes racing callers agree on one secret', async () => {
      const values = Array.from({ length: 8 }, (_, i) => `candidate-${i}`);
      const results = await Promise.all(values.map((v) => store.ensureSecret('race', v)));
      expect(new Set(results).size).toBe(1);
      expect(values).toContain(results[0]);
    });

    it('reseals a key or a secret only where it still holds the expected value', async () => {
      await store.insertKey(key('a', T0));
      const before = (await store.listKeys())[0]!.privateJwk;
      await store.resealKey('a', 'not what is stored', 'sealed-by-someone-else');
      expect((await store.listKeys())[0]!.privateJwk).toBe(before);
      await store.resealKey('a', before, 'sealed');
      expect((await store.listKeys())[0]!.privateJwk).toBe('sealed');
      await store.resealKey('unknown', before, 'sealed');
      await store.ensureSecret('server', 'clear');
      await store.resealSecret('server', 'other', 'x');
      expect(await store.ensureSecret('server', 'ignored')).toBe('clear');
      await store.resealSecret('server', 'clear', 'sealed-secret');
      expect(await store.ensureSecret('server', 'ignored')).toBe('sealed-secret');
    });
  });
}
