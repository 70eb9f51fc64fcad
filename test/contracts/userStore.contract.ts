import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/core/errors.js';
import type { UserStore } from '../../src/core/ports.js';
import { T0, makeUser } from './fixtures.js';

export function userStoreContract(name: string, open: () => Promise<{ store: UserStore; close(): Promise<void> }>): void {
  describe(`UserStore contract: ${name}`, () => {
    let store: UserStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    it('finds a created user by key and by id, field for field', async () => {
      const user = makeUser({ role: 'admin', disabled: true, tokensNotBefore: 1_767_225_600 });
      await store.createUser(user);
      expect(await store.findUserByKey(user.usernameKey)).toEqual(user);
      expect(await store.findUserById(user.id)).toEqual(user);
    });

    it('answers null for an unknown key or id', async () => {
      await store.createUser(makeUser());
      expect(await store.findUserByKey('nobody')).toBeNull();
      expect(await store.findUserById('018f0000-0000-7000-8000-000000000000')).toBeNull();
    });

    it('keeps the username as registered and looks up by the key only', async () => {
      const user = makeUser({ username: 'Alice', usernameKey: 'alice' });
      await store.createUser(user);
      expect((await store.findUserByKey('alice'))?.username).toBe('Alice');
      expect(await store.findUserByKey('Alice')).toBeNull();
    });

    it('throws username_taken for a second user with the same key', async () => {
      await store.createUser(makeUser({ username: 'Bob', usernameKey: 'bob' }));
      const error: unknown = await store.createUser(makeUser({ username: 'BOB', usernameKey: 'bob' })).catch((e: unknown) => e);
      expect(isAuthError(error, 'username_taken')).toBe(true);
      expect((await store.listUsers({ limit: 10 })).length).toBe(1);
    });

    it('lets exactly one of several concurrent registrations of one key win', async () => {
      const attempts = Array.from({ length: 8 }, (_, i) => makeUser({ username: `carol${i}`, usernameKey: 'carol' }));
      const results = await Promise.allSettled(attempts.map((user) => store.createUser(user)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'username_taken')).toBe(true);
    });

    it('applies each patch field and returns the user as it now is', async () => {
      const user = makeUser();
      await store.createUser(user);
      const patched = await store.updateUser(user.id, { role: 'admin', disabled: true, tokensNotBefore: 1_767_225_999, passwordHash: 'new-hash' });
      const expected = { ...user, role: 'admin', disabled: true, tokensNotBefore: 1_767_225_999, passwordHash: 'new-hash' };
      expect(patched).toEqual(expected);
      expect(await store.findUserById(user.id)).toEqual(expected);
      expect(await store.updateUser(user.id, { disabled: false })).toEqual({ ...expected, disabled: false });
    });

    it('leaves the fields a patch does not name, and an empty patch returns the user', async () => {
      const user = makeUser({ role: 'admin' });
      await store.createUser(user);
      expect(await store.updateUser(user.id, { tokensNotBefore: 5 })).toEqual({ ...user, tokensNotBefore: 5 });
      expect(await store.updateUser(user.id, {})).toEqual({ ...user, tokensNotBefore: 5 });
    });

    it('answers null when patching an unknown id', async () => {
      expect(await store.updateUser('018f0000-0000-7000-8000-000000000000', { role: 'admin' })).toBeNull();
      expect(await store.updateUser('018f0000-0000-7000-8000-000000000000', {})).toBeNull();
    });

    it('lists users ordered by id, in pages after a given id', async () => {
      const users = Array.from({ length: 5 }, (_, i) => makeUser({ createdAt: T0 + i }));
      for (const user of [...users].reverse()) await store.createUser(user);
      const sorted = [...users].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(await store.listUsers({ limit: 10 })).toEqual(sorted);
      expect(await store.listUsers({ limit: 2 })).toEqual(sorted.slice(0, 2));
      expect(await store.listUsers({ limit: 2, after: sorted[1]?.id ?? '' })).toEqual(sorted.slice(2, 4));
      expect(await store.listUsers({ limit: 10, after: sorted[4]?.id ?? '' })).toEqual([]);
    });

    it('narrows the list by a key prefix (wildcards literal), a role and the disabled flag', async () => {
      const a = makeUser({ username: 'Ann_1' });
      const b = makeUser({ username: 'anne%', role: 'admin' });
      const c = makeUser({ username: 'annx1', disabled: true });
      const d = makeUser({ username: 'bob' });
      for (const user of [a, b, c, d]) await store.createUser(user);
      const names = async (filter: Parameters<UserStore['listUsers']>[0]['filter']) => (await store.listUsers({ limit: 10, filter })).map((u) => u.username).sort();
      expect(await names({ prefix: 'ann' })).toEqual(['Ann_1', 'anne%', 'annx1']);
      expect(await names({ prefix: 'ann_' })).toEqual(['Ann_1']);
      expect(await names({ prefix: 'anne%' })).toEqual(['anne%']);
      expect(await names({ prefix: 'ann', role: 'admin' })).toEqual(['anne%']);
      expect(await names({ disabled: true })).toEqual(['annx1']);
      expect(await names({ prefix: 'ann', disabled: false, role: 'user' })).toEqual(['Ann_1']);
      const [first] = await store.listUsers({ limit: 1, filter: { prefix: 'ann' } });
      expect((await store.listUsers({ limit: 10, after: first!.id, filter: { prefix: 'ann' } })).length).toBe(2);
    });

    it('lists nothing when there are no users', async () => {
      expect(await store.listUsers({ limit: 10 })).toEqual([]);
    });
  });
}
