import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Limiter } from '../../src/core/ports.js';
import { T0 } from './fixtures.js';

const WINDOW = 60_000;

export function limiterContract(name: string, open: () => Promise<{ limiter: Limiter; close(): Promise<void> }>): void {
  describe(`Limiter contract: ${name}`, () => {
    let limiter: Limiter;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ limiter, close } = await open());
    });
    afterEach(() => close());

    it('starts a window at the first hit and counts within it', async () => {
      expect(await limiter.hit('k', WINDOW, T0)).toEqual({ count: 1, windowStart: T0, lastAt: T0 });
      expect(await limiter.hit('k', WINDOW, T0 + 10)).toEqual({ count: 2, windowStart: T0, lastAt: T0 + 10 });
      expect(await limiter.peek('k', T0 + 20)).toEqual({ count: 2, windowStart: T0, lastAt: T0 + 10 });
    });

    it('keeps the window up to its last millisecond and starts a new one exactly at its end', async () => {
      await limiter.hit('k', WINDOW, T0);
      expect(await limiter.hit('k', WINDOW, T0 + WINDOW - 1)).toEqual({ count: 2, windowStart: T0, lastAt: T0 + WINDOW - 1 });
      expect(await limiter.hit('k', WINDOW, T0 + WINDOW)).toEqual({ count: 1, windowStart: T0 + WINDOW, lastAt: T0 + WINDOW });
      expect(await limiter.hit('k', WINDOW, T0 + 5 * WINDOW)).toEqual({ count: 1, windowStart: T0 + 5 * WINDOW, lastAt: T0 + 5 * WINDOW });
    });

    it('peeks null for an unknown key and once the window has ended', async () => {
      expect(await limiter.peek('none', T0)).toBeNull();
      await limiter.hit('k', WINDOW, T0);
      expect(await limiter.peek('k', T0 + WINDOW - 1)).toEqual({ count: 1, windowStart: T0, lastAt: T0 });
      expect(await limiter.peek('k', T0 + WINDOW)).toBeNull();
    });

    it('keeps keys apart', async () => {
      await limiter.hit('a', WINDOW, T0);
      await limiter.hit('a', WINDOW, T0 + 1);
      expect(await limiter.hit('b', WINDOW, T0 + 2)).toEqual({ count: 1, windowStart: T0 + 2, lastAt: T0 + 2 });
      expect((await limiter.peek('a', T0 + 3))?.count).toBe(2);
    });

    it('resets a key, and resetting an unknown key is harmless', async () => {
      await limiter.hit('k', WINDOW, T0);
      await limiter.reset('k');
      await limiter.reset('never');
      expect(await limiter.peek('k', T0 + 1)).toBeNull();
      expect(await limiter.hit('k', WINDOW, T0 + 2)).toEqual({ count: 1, windowStart: T0 + 2, lastAt: T0 + 2 });
    });

    it('counts every one of many concurrent hits', async () => {
      const states = await Promise.all(Array.from({ length: 25 }, () => limiter.hit('burst', WINDOW, T0)));
      expect(states.map((s) => s.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect((await limiter.peek('burst', T0))?.count).toBe(25);
    });

    it('keeps live windows when expired windows of other keys are cleaned up', async () => {
      const later = T0 + 2 * 3_600_000;
      await limiter.hit('old', 1000, T0);
      await limiter.hit('live', 3 * 3_600_000, T0);
      for (let i = 0; i < 5; i++) await limiter.hit(`later-${i}`, WINDOW, later + i);
      expect(await limiter.peek('old', later + 10)).toBeNull();
      expect(await limiter.peek('live', later + 10)).toEqual({ count: 1, windowStart: T0, lastAt: T0 });
      expect(await limiter.hit('live', 3 * 3_600_000, later + 20)).toEqual({ count: 2, windowStart: T0, lastAt: later + 20 });
    });
  });
}
