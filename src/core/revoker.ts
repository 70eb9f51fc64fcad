import type { Auditor } from './audit.js';
import type { Clock } from './clock.js';
import type { AuditEvent, ClientInfo } from './model.js';
import type { EventBus } from './ports.js';

interface Revocable {
  userId: string;
  revokedAt: number | null;
}

/** What a store offers to end one kind of credential. */
export interface RevokeTarget<T extends Revocable> {
  revoke(id: string, reason: string, now: number): Promise<T | null>;
  get(id: string): Promise<T | null>;
  auditEvent: AuditEvent;
}

/**
 * Ends a session or a token family: tombstone in the store, then an event on the feed, then the audit
 * entry. If the event could not be published, the call rejects (503); a retry publishes again while
 * the tombstone is recent, so a revocation is never accepted and then lost.
 */
export class Revoker {
  readonly #bus: EventBus;
  readonly #audit: Auditor;
  readonly #clock: Clock;
  readonly #republishWithinMs: number;

  constructor(bus: EventBus, audit: Auditor, clock: Clock, republishWithinMs: number) {
    this.#bus = bus;
    this.#audit = audit;
    this.#clock = clock;
    this.#republishWithinMs = republishWithinMs;
  }

  /** Returns true when this call ended a live credential. */
  async revoke<T extends Revocable>(
    target: RevokeTarget<T>,
    id: string,
    reason: string,
    client: ClientInfo | null,
  ): Promise<boolean> {
    const now = this.#clock.now();
    const ended = await target.revoke(id, reason, now);
    const record = ended ?? (await target.get(id));
    if (!record) return false;
    if (ended || (record.revokedAt !== null && now - record.revokedAt < this.#republishWithinMs)) {
      await this.#bus.publish({ type: 'credential', sid: id, userId: record.userId, at: now });
    }
    if (ended) await this.#audit.record(reason === 'logout' ? 'logout' : target.auditEvent, record.userId, client, reason);
    return ended !== null;
  }
}
