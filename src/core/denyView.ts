import type { RevocationEvent } from './model.js';

/**
 * The in-memory view of revocations that every verifier holds (DESIGN.md, "Tokens as controllable as
 * sessions"): revoked session/family ids, and per-user "not valid before" times. Checking a token is
 * two Map look-ups. An entry is kept only while a token it could refuse may still be in flight.
 */
export class DenyView {
  /** sid -> when the entry may be dropped (ms). */
  readonly #sids = new Map<string, number>();
  /** userId -> [notBefore (s), when the entry may be dropped (ms)]. */
  readonly #users = new Map<string, [number, number]>();
  readonly #retainMs: number;

  /** @param retainMs the longest access-token lifetime plus the leeway. */
  constructor(retainMs: number) {
    this.#retainMs = retainMs;
  }

  apply(event: RevocationEvent): void {
    const until = event.at + this.#retainMs;
    if (event.type === 'credential') {
      this.#sids.set(event.sid, Math.max(until, this.#sids.get(event.sid) ?? 0));
    } else if (event.notBefore !== null) {
      const previous = this.#users.get(event.userId);
      if (!previous || previous[0] <= event.notBefore) this.#users.set(event.userId, [event.notBefore, until]);
    }
  }

  /** True when a credential `sid` of user `sub`, issued at `iat` (s), has been revoked. */
  isDenied(sid: string, sub: string, iat: number): boolean {
    if (this.#sids.has(sid)) return true;
    const user = this.#users.get(sub);
    return user !== undefined && iat < user[0];
  }

  isSidDenied(sid: string): boolean {
    return this.#sids.has(sid);
  }

  /** The user's not-before (s), or 0. */
  notBefore(userId: string): number {
    return this.#users.get(userId)?.[0] ?? 0;
  }

  /** Drops entries that can no longer refuse anything. */
  prune(now: number): void {
    for (const [sid, until] of this.#sids) if (until <= now) this.#sids.delete(sid);
    for (const [user, [, until]] of this.#users) if (until <= now) this.#users.delete(user);
  }

  get size(): number {
    return this.#sids.size + this.#users.size;
  }
}
