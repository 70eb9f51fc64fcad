import type { Auditor } from './audit.js';
import type { Clock } from './clock.js';
import type { Lifetimes } from './lifetimes.js';
import type { AuditEvent, ClientInfo, CredentialKind, FeedMessage, RevocationEvent } from './model.js';
import type { AccountTokenStore, FactorStore, MailJobKind } from './lifecyclePorts.js';
import { type MailMessage, renderMail } from './mail.js';
import type { EventBus, FamilyStore, RevocationLog, SessionStore, Stores, Transaction, UserStore } from './ports.js';
import type { Revocations } from './revocations.js';

/** The relay leaves an event this long to the request that logged it, which delivers it at once. */
export const RELAY_GRACE_MS = 500;
const RELAY_PAGE = 200;
const RESTORE_PAGE = 500;

/**
 * What a use case may do within one state change. Everything it does commits together or not at all,
 * its revocations included (a transactional outbox): there is never a moment when the state has
 * changed but its event could be lost.
 */
export interface Change {
  readonly now: number;
  readonly users: UserStore;
  readonly families: FamilyStore;
  readonly accountTokens: AccountTokenStore;
  readonly factors: FactorStore;
  /** Queues a message to `to`, sent once the change commits (and never if it does not). */
  mail(to: string, message: MailMessage): Promise<void>;
  /** Queues work for the mail worker (a reset request, resolved off the request path). */
  queue(kind: MailJobKind, payload: unknown): Promise<void>;
  /** Logs the end of a session; its tombstone in the session store follows as the event's effect. */
  endSession(session: { id: string; userId: string }, reason: string, client: ClientInfo | null): void;
  /** Tombstones a live family and logs its end; false when it was not live (nothing to log). */
  endFamily(id: string, reason: string, client: ClientInfo | null): Promise<boolean>;
  /** Logs a change to the user record, so every instance reads it again; with `notBefore` (s) earlier access tokens die. */
  userChanged(userId: string, notBefore: number | null): void;
  audit(event: AuditEvent, userId: string | null, client: ClientInfo | null, reason?: string | null): void;
}

export interface OutboxDeps {
  stores: Pick<Stores, 'transact' | 'log' | 'sessions' | 'bus'>;
  revocations: Revocations;
  auditor: Auditor;
  clock: Clock;
  lifetimes: Lifetimes;
  /** A delivery that failed; the relay retries it. */
  onDeliveryError: (error: unknown) => void;
  /** A committed change queued mail: the worker may send it now. */
  onMailQueued?: () => void;
  /** Seals a queued job's payload: a queued mail holds a live link, which must not lie in the database in clear. */
  sealMail?: (payload: string) => string;
}

/**
 * Commits state changes with their revocation events, then delivers each event: on this instance at
 * once (before the answer), then its effect (a session's tombstone) and the push transport. A delivery
 * that fails is owed in the log, and the relay, running on every instance, completes it as soon as the
 * store is back. So a change either never happened or holds everywhere, and a retry converges.
 */
export class Outbox {
  readonly #d: OutboxDeps;
  readonly #log: RevocationLog;
  readonly #sessions: SessionStore;
  readonly #bus: EventBus | null;

  constructor(deps: OutboxDeps) {
    this.#d = deps;
    this.#log = deps.stores.log;
    this.#sessions = deps.stores.sessions;
    this.#bus = deps.stores.bus;
  }

  async commit<T>(work: (change: Change) => Promise<T>): Promise<T> {
    const audited: AuditEvent[] = [];
    const now = this.#d.clock.now();
    let mailed = false;
    const { value, logged } = await this.#d.stores.transact((tx) => work(this.#change(tx, now, audited, () => (mailed = true))));
    if (mailed) this.#d.onMailQueued?.();
    // A revocation holds on the instance that made it before its answer returns (API.md).
    for (const message of logged) this.#d.revocations.onEvent(message);
    for (const event of audited) this.#d.auditor.notify(event);
    await this.#deliver(logged.filter((message) => this.#owed(message.event))).catch(this.#d.onDeliveryError);
    return value;
  }

  /**
   * One pass of the relay: every event still owed, older than the grace its own request had, is pinned
   * in this instance's deny view and delivered. When the transport has lost its history, the retained
   * log is published again and every session tombstone of the log re-applied.
   */
  async relay(): Promise<void> {
    const now = this.#d.clock.now();
    const owed = await this.#log.undelivered(now - RELAY_GRACE_MS, RELAY_PAGE);
    for (const message of owed) this.#d.revocations.pin(message, now);
    await this.#deliver(owed);
    if (this.#bus && !(await this.#bus.intact())) await this.#restore(this.#bus, now);
  }

  /** Whether an event needs delivering beyond the log: a session's tombstone, or a push transport to carry it. */
  #owed(event: RevocationEvent): boolean {
    return this.#bus !== null || (event.type === 'credential' && event.kind === 'session');
  }

  /** Applies each event's effect and pushes it, in order, then marks what went through; stops at the first failure. */
  async #deliver(messages: readonly FeedMessage[]): Promise<void> {
    const delivered: number[] = [];
    try {
      for (const message of messages) {
        await this.#effect(message.event);
        await this.#bus?.publish(message);
        delivered.push(message.id);
      }
    } finally {
      if (delivered.length > 0) await this.#log.markDelivered(delivered);
    }
  }

  async #effect(event: RevocationEvent): Promise<void> {
    if (event.type === 'credential' && event.kind === 'session') await this.#sessions.revokeSession(event.sid, event.reason, event.at);
  }

  /**
   * After Redis lost data or restarted: the stream gets every event that may still refuse a token, and
   * is marked intact (verifiers wait for that before they call themselves ready); then every session
   * tombstone the log retains is written again, in case Redis came back with older data.
   */
  async #restore(bus: EventBus, now: number): Promise<void> {
    const tokensFrom = now - this.#d.lifetimes.revocationRetainMs;
    await this.#eachLogged(async (message) => {
      if (message.event.at >= tokensFrom) await bus.publish(message);
    });
    await bus.markIntact();
    await this.#eachLogged((message) => this.#effect(message.event));
  }

  async #eachLogged(act: (message: FeedMessage) => Promise<void>): Promise<void> {
    for (let after = 0; ; ) {
      const page = await this.#log.after(after, RESTORE_PAGE);
      for (const message of page) await act(message);
      after = page.at(-1)?.id ?? after;
      if (page.length < RESTORE_PAGE) return;
    }
  }

  #change(tx: Transaction, now: number, audited: AuditEvent[], onMail: () => void): Change {
    const auditor = this.#d.auditor;
    const seal = this.#d.sealMail ?? ((payload: string) => payload);
    const audit: Change['audit'] = (event, userId, client, reason = null) => {
      tx.audit(auditor.entry(event, userId, client, reason));
      audited.push(event);
    };
    const end = (kind: CredentialKind, sid: string, userId: string, reason: string): void => {
      const event: RevocationEvent = { type: 'credential', kind, sid, userId, reason, at: now };
      tx.publish(event, !this.#owed(event));
    };
    return {
      now,
      users: tx.users,
      families: tx.families,
      accountTokens: tx.accountTokens,
      factors: tx.factors,
      mail: async (to, message) => {
        await tx.mail.enqueue({ kind: 'mail', recipient: to, payload: seal(JSON.stringify(renderMail(to, message))) }, now);
        onMail();
      },
      queue: async (kind, payload) => {
        await tx.mail.enqueue({ kind, recipient: null, payload: seal(JSON.stringify(payload)) }, now);
        onMail();
      },
      endSession: (session, reason, client) => {
        end('session', session.id, session.userId, reason);
        audit(reason === 'logout' ? 'logout' : 'session_revoked', session.userId, client, reason);
      },
      endFamily: async (id, reason, client) => {
        const family = await tx.families.revokeFamily(id, reason, now);
        if (!family) return false;
        end('family', id, family.userId, reason);
        audit(reason === 'logout' ? 'logout' : 'family_revoked', family.userId, client, reason);
        return true;
      },
      userChanged: (userId, notBefore) => {
        const event: RevocationEvent = { type: 'user', userId, at: now, notBefore };
        tx.publish(event, !this.#owed(event));
      },
      audit,
    };
  }
}
