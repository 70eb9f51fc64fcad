import { AuthError } from './errors.js';

/**
 * Caps how many expensive tasks run at once, with a bounded queue behind them. When the queue is
 * full the task is refused at once with 503, so that a flood gets fast answers instead of a queue
 * that times everything out (issue "Security hardening": cap concurrent hashing).
 */
export class Gate {
  readonly #max: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(max: number, maxQueued: number) {
    this.#max = max;
    this.#maxQueued = maxQueued;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** True when `run` would refuse a task now. */
  get full(): boolean {
    return this.#running >= this.#max && this.#queue.length >= this.#maxQueued;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      if (this.#queue.length >= this.#maxQueued) {
        throw new AuthError('unavailable', { detail: 'the server is overloaded', retryAfter: 1 });
      }
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
