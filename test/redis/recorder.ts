import type { FeedMessage, RevocationEvent } from '../../src/core/model.js';
import type { FeedListener } from '../../src/core/ports.js';

/** A feed listener that keeps everything it is given, with the real time of each heartbeat. */
export class Recorder implements FeedListener {
  readonly messages: FeedMessage[] = [];
  readonly beats: Array<{ at: number; real: number }> = [];

  onEvent(message: FeedMessage): void {
    this.messages.push(message);
  }

  onHeartbeat(at: number): void {
    this.beats.push({ at, real: Date.now() });
  }

  sids(): string[] {
    return this.messages.map(({ event }) => (event.type === 'credential' ? event.sid : `user:${event.userId}`));
  }
}

let serial = 0;
export const credential = (at: number, sid = `sid-${++serial}`): RevocationEvent => ({ type: 'credential', kind: 'family', sid, userId: 'u', reason: 'revoked', at });

/** A logged event: the feed carries log ids, which tests make up in order. */
export const logged = (event: RevocationEvent): FeedMessage => ({ id: ++serial, event });
