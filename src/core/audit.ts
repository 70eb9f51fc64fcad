import { sha256 } from './crypto.js';
import type { AuditEntry, AuditEvent, ClientInfo, StoredAuditEntry } from './model.js';
import type { AuditLog } from './ports.js';
import type { Clock } from './clock.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash that chains an entry to its predecessor, so that an edit or a deletion anywhere breaks
 * every later link (tamper evidence, ASVS 5.0 V16.4). The fields go in a fixed order.
 */
export function chainHash(previous: string, seq: number, entry: AuditEntry): string {
  const canonical = JSON.stringify([previous, seq, entry.at, entry.event, entry.userId, entry.ip, entry.userAgent, entry.reason]);
  return sha256(canonical).toString('hex');
}

export type ChainCheck = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number };

/** Walks the whole log in pages and checks every link. */
export async function verifyAuditChain(log: AuditLog, pageSize = 1000): Promise<ChainCheck> {
  let previous = GENESIS_HASH;
  let after = 0;
  let count = 0;
  for (;;) {
    const page: StoredAuditEntry[] = await log.read(after, pageSize);
    for (const entry of page) {
      if (entry.hash !== chainHash(previous, entry.seq, entry)) return { ok: false, entries: count, brokenAt: entry.seq };
      previous = entry.hash;
      after = entry.seq;
      count++;
    }
    if (page.length < pageSize) return { ok: true, entries: count };
  }
}

/** How an entry's reason names the administrator who acted: `… (by ID)`. */
const BY = ' (by ';

/** The administrator an entry's reason names, or null. */
export function actorInReason(reason: string | null): string | null {
  const at = reason?.lastIndexOf(BY) ?? -1;
  return reason !== null && at >= 0 && reason.endsWith(')') ? reason.slice(at + BY.length, -1) : null;
}

/** Writes security events with the time and the client; never a password, secret or token. */
export class Auditor {
  readonly #log: AuditLog;
  readonly #clock: Clock;
  readonly #observers: Array<(event: AuditEvent) => void> = [];

  constructor(log: AuditLog, clock: Clock) {
    this.#log = log;
    this.#clock = clock;
  }

  /** Lets metrics count security events as they are recorded. */
  observe(observer: (event: AuditEvent) => void): void {
    this.#observers.push(observer);
  }

  /** The entry for an event now; `record` appends it, or a transaction appends it with its change. */
  entry(event: AuditEvent, userId: string | null, client: ClientInfo | null, reason: string | null = null): AuditEntry {
    return {
      at: this.#clock.now(),
      event,
      userId,
      ip: client?.ip ?? null,
      userAgent: client?.userAgent.slice(0, 512) ?? null,
      reason: client?.actorId === undefined ? reason : `${reason ?? event}${BY}${client.actorId})`,
    };
  }

  async record(event: AuditEvent, userId: string | null, client: ClientInfo | null, reason: string | null = null): Promise<void> {
    await this.#log.append(this.entry(event, userId, client, reason));
    this.notify(event);
  }

  /** Tells the observers of an event that was recorded (by a transaction, once it committed). */
  notify(event: AuditEvent): void {
    for (const observer of this.#observers) observer(event);
  }
}
