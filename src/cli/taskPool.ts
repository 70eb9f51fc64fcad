/**
 * Runs at most `size` tasks at once. `add` waits for a free slot before it starts the task, so a
 * producer that awaits it is held back (and its input with it) instead of queueing without bound.
 * Tasks must not reject: each handles its own errors.
 */
export class TaskPool {
  readonly #size: number;
  readonly #running = new Set<Promise<void>>();

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  async add(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    const running: Promise<void> = task().finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Resolves when every task started so far has finished. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
  }
}
