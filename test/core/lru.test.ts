import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/core/lru.js';

describe('LruCache', () => {
  it('forgets an entry at its expiry', () => {
    const cache = new LruCache<string, number>(10);
    cache.set('a', 1, 100);
    expect(cache.get('a', 99)).toBe(1);
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new LruCache<number, number>(4);
    for (let i = 0; i < 4; i++) cache.set(i, i, Infinity);
    cache.set(4, 4, Infinity);
    expect(cache.get(0, 0)).toBeUndefined();
    expect(cache.size).toBe(4);
  });

  it('keeps an entry that is used while others come and go', () => {
    const cache = new LruCache<number, number>(4);
    cache.set(-1, -1, Infinity);
    for (let i = 0; i < 100; i++) {
      expect(cache.get(-1, 0)).toBe(-1);
      cache.set(i, i, Infinity);
    }
    expect(cache.size).toBe(4);
  });

  it('deletes on demand', () => {
    const cache = new LruCache<string, number>(4);
    cache.set('a', 1, Infinity);
    cache.delete('a');
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
