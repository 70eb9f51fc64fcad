import type { Clock } from './clock.js';
import { LruCache } from './lru.js';
import type { User } from './model.js';
import type { UserStore } from './ports.js';
import type { Revocations } from './revocations.js';

/**
 * Users as this instance last read them, for the session hot path. Every change to a user publishes a
 * `user` event, which evicts the entry on every instance; the short TTL bounds what a lost event costs.
 */
export class UserCache {
  readonly #store: UserStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache: LruCache<string, User>;
  /** Bumped on every eviction, so that a read that raced an eviction is not cached. */
  #evictions = 0;

  constructor(store: UserStore, revocations: Revocations, clock: Clock, options: { ttlMs: number; max: number }) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = options.ttlMs;
    this.#cache = new LruCache(options.max);
    revocations.listen((event) => {
      if (event.type === 'user') this.evict(event.userId);
    });
  }

  /** The user: at once from the cache, or a promise when the store must be read. */
  get(id: string): User | Promise<User | null> {
    return this.#cache.get(id, this.#clock.now()) ?? this.#read(id);
  }

  async #read(id: string): Promise<User | null> {
    const now = this.#clock.now();
    const evictions = this.#evictions;
    const user = await this.#store.findUserById(id);
    if (user && evictions === this.#evictions) this.#cache.set(id, user, now + this.#ttlMs);
    return user;
  }

  evict(id: string): void {
    this.#evictions++;
    this.#cache.delete(id);
  }
}
