interface Entry<V> {
  value: V;
  expiresAt: number;
  /** When the entry last moved to the young end, in operations. */
  stamp: number;
}

/**
 * A bounded map that forgets the least recently used entry first, and each entry at its own expiry.
 * Expiry is checked against the `now` that callers pass, so tests move time instead of sleeping.
 * A hit moves its entry to the young end only when it has drifted into the older half: hot entries
 * stay safe from eviction without a Map delete and insert on every hit of the hot path.
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #entries = new Map<K, Entry<V>>();
  #clock = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    if (this.#clock - entry.stamp > this.#max / 2) {
      this.#entries.delete(key);
      entry.stamp = ++this.#clock;
      this.#entries.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt, stamp: ++this.#clock });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
