import type { RevocationEvent } from '../../core/model.js';
import type { FeedStart } from '../../core/ports.js';

/** Stream ids are the feed's cursors: `<ms>-<seq>`, both unsigned 64-bit. */
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
 * The id to read after (XREAD is exclusive) for a start: the cursor itself, or the last id possible
 * before `sinceTime`, since ids are never earlier than their events' times. A cursor that is not a
 * stream id (another feed's, or garbage) replays everything retained: duplicates are harmless, gaps are not.
 */
export function readAfter(start: FeedStart): string {
  if ('cursor' in start) return STREAM_ID.test(start.cursor) ? start.cursor : '0-0';
  const ms = Math.floor(start.sinceTime);
  return ms > 0 ? `${ms - 1}-${MAX_SEQ}` : '0-0';
}

/** The stream entry's fields for an event. */
export const eventFields = (event: RevocationEvent): [string, string] => ['e', JSON.stringify(event)];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The event in an entry's fields, or null for an entry that is not one (only a foreign writer makes those). */
export function eventFromFields(fields: readonly string[]): RevocationEvent | null {
  const at = fields.indexOf('e');
  const text = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isRecord(value) ? narrowEvent(value) : null;
}

function narrowEvent(v: Record<string, unknown>): RevocationEvent | null {
  if (typeof v.userId !== 'string' || typeof v.at !== 'number') return null;
  if (v.type === 'credential' && typeof v.sid === 'string') {
    return { type: 'credential', sid: v.sid, userId: v.userId, at: v.at };
  }
  if (v.type === 'user' && (v.notBefore === null || typeof v.notBefore === 'number')) {
    return { type: 'user', userId: v.userId, at: v.at, notBefore: v.notBefore };
  }
  return null;
}
