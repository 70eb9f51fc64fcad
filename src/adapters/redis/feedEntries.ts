import type { FeedMessage, RevocationEvent } from '../../core/model.js';
import type { FeedStart } from '../../core/ports.js';

/** Stream ids (`<ms>-<seq>`, both unsigned 64-bit) order the stream; the log's id names the event. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

const MAX_SEQ = '18446744073709551615';

/** Orders two stream ids; BigInt because a sequence may pass 2^53. */
export function compareIds(a: string, b: string): number {
  const [, aMs = '0', aSeq = '0'] = STREAM_ID.exec(a) ?? [];
  const [, bMs = '0', bSeq = '0'] = STREAM_ID.exec(b) ?? [];
  const byMs = BigInt(aMs) - BigInt(bMs);
  const diff = byMs !== 0n ? byMs : BigInt(aSeq) - BigInt(bSeq);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/**
 * The id to read after (XREAD is exclusive) for a start: the last id possible before `sinceTime`,
 * since stream ids are never earlier than their events' times.
 */
export function readAfter(start: FeedStart): string {
  const ms = Math.floor(start.sinceTime);
  return ms > 0 ? `${ms - 1}-${MAX_SEQ}` : '0-0';
}

/** The stream entry's fields for a logged event: its log id, then the event. */
export const messageFields = (message: FeedMessage): [string, string, string, string] => ['i', String(message.id), 'e', JSON.stringify(message.event)];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const field = (fields: readonly string[], name: string): string | undefined => {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
};

/** The logged event in an entry's fields, or null for an entry that is not one (only a foreign writer makes those). */
export function messageFromFields(fields: readonly string[]): FeedMessage | null {
  const id = Number(field(fields, 'i'));
  const text = field(fields, 'e');
  if (!Number.isSafeInteger(id) || id <= 0 || text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const event = isRecord(value) ? narrowEvent(value) : null;
  return event && { id, event };
}

const KINDS = new Set(['session', 'family']);

function narrowEvent(v: Record<string, unknown>): RevocationEvent | null {
  if (typeof v.userId !== 'string' || typeof v.at !== 'number') return null;
  if (v.type === 'credential' && typeof v.sid === 'string' && typeof v.kind === 'string' && KINDS.has(v.kind) && typeof v.reason === 'string') {
    return { type: 'credential', kind: v.kind as 'session' | 'family', sid: v.sid, userId: v.userId, reason: v.reason, at: v.at };
  }
  if (v.type === 'user' && (v.notBefore === null || typeof v.notBefore === 'number')) {
    return { type: 'user', userId: v.userId, at: v.at, notBefore: v.notBefore };
  }
  return null;
}
