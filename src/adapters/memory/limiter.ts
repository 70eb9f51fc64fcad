import type { LimitState, Limiter } from '../../core/ports.js';

interface Window extends LimitState {
  windowEnd: number;
}

const state = ({ count, windowStart, lastAt }: Window): LimitState => ({ count, windowStart, lastAt });

export class MemoryLimiter implements Limiter {
  readonly #windows = new Map<string, Window>();

  async hit(key: string, windowMs: number, now: number): Promise<LimitState> {
    const current = this.#windows.get(key);
    const next: Window =
      current && now < current.windowEnd
        ? { ...current, count: current.count + 1, lastAt: now }
        : { count: 1, windowStart: now, windowEnd: now + windowMs, lastAt: now };
    this.#windows.set(key, next);
    return state(next);
  }

  async peek(key: string, now: number): Promise<LimitState | null> {
    const current = this.#windows.get(key);
    if (!current || now >= current.windowEnd) return null;
    return state(current);
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }
}
