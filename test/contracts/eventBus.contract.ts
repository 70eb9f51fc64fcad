import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedMessage, RevocationEvent } from '../../src/core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../../src/core/ports.js';
import { waitFor } from './fixtures.js';

export interface OpenedEventBus {
  bus: EventBus;
  /** A second, independent bus on the same backend, as another instance or the CLI would open. */
  peer(): Promise<EventBus>;
  /** Closes the bus and every peer. */
  close(): Promise<void>;
}

class Recorder implements FeedListener {
  readonly messages: FeedMessage[] = [];
  readonly beats: number[] = [];

  onEvent(message: FeedMessage): void {
    this.messages.push(message);
  }

  onHeartbeat(at: number): void {
    this.beats.push(at);
  }

  /** Distinct events in first-delivery order; a consumer is idempotent, so duplicates are allowed. */
  events(): RevocationEvent[] {
    const seen = new Set<string>();
    const distinct: RevocationEvent[] = [];
    for (const { event } of this.messages) {
      if (seen.has(eventKey(event))) continue;
      seen.add(eventKey(event));
      distinct.push(event);
    }
    return distinct;
  }

  has(event: RevocationEvent): boolean {
    return this.messages.some((m) => eventKey(m.event) === eventKey(event));
  }
}

const eventKey = (e: RevocationEvent): string =>
  e.type === 'credential' ? `c|${e.sid}|${e.userId}|${e.at}` : `u|${e.userId}|${e.at}|${e.notBefore}`;

let serial = 0;
const credential = (at: number): RevocationEvent => ({ type: 'credential', sid: `sid-${++serial}-${at}`, userId: 'user-1', at });
const userEvent = (at: number, notBefore: number | null): RevocationEvent => ({ type: 'user', userId: `user-${++serial}`, at, notBefore });

export function eventBusContract(name: string, open: () => Promise<OpenedEventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let opened: OpenedEventBus;
    let subscriptions: Subscription[];

    beforeEach(async () => {
      opened = await open();
      subscriptions = [];
    });
    afterEach(async () => {
      for (const s of subscriptions) await s.close();
      await opened.close();
    });

    /** Subscribes and waits for the first heartbeat, which follows the replay. */
    async function follow(bus: EventBus, start: FeedStart): Promise<Recorder> {
      const recorder = new Recorder();
      subscriptions.push(bus.subscribe(recorder, start));
      await waitFor(() => recorder.beats.length > 0, 3000, 'the first heartbeat');
      return recorder;
    }

    it('delivers to this process before publish resolves', async () => {
      const recorder = await follow(opened.bus, { sinceTime: Date.now() });
      const event = credential(Date.now());
      await opened.bus.publish(event);
      expect(recorder.has(event)).toBe(true);
    });

    it('carries both kinds of event unchanged, with string cursors', async () => {
      const recorder = await follow(opened.bus, { sinceTime: Date.now() });
      const events = [credential(Date.now()), userEvent(Date.now(), null), userEvent(Date.now(), 1_767_225_600)];
      for (const event of events) await opened.bus.publish(event);
      expect(recorder.events()).toEqual(events);
      for (const message of recorder.messages) expect(typeof message.cursor).toBe('string');
    });

    it('delivers to a peer within a few seconds, in order, both ways', async () => {
      const peer = await opened.peer();
      const remote = await follow(peer, { sinceTime: Date.now() });
      const local = await follow(opened.bus, { sinceTime: Date.now() });
      const events = [credential(Date.now()), userEvent(Date.now(), 5), credential(Date.now())];
      for (const event of events) await opened.bus.publish(event);
      await waitFor(() => events.every((e) => remote.has(e)), 3000, 'delivery to the peer');
      expect(remote.events()).toEqual(events);
      const back = credential(Date.now());
      await peer.publish(back);
      await waitFor(() => local.has(back), 3000, 'delivery from the peer');
    });

    it('replays events from a time on, inclusive, in order', async () => {
      const base = Date.now() - 10_000;
      const events = [credential(base), credential(base + 1000), userEvent(base + 2000, 7), credential(base + 3000)];
      for (const event of events) await opened.bus.publish(event);
      const replayed = await follow(await opened.peer(), { sinceTime: base + 1000 });
      await waitFor(() => replayed.events().length >= 3, 3000, 'the replay');
      expect(replayed.events()).toEqual(events.slice(1));
    });

    it('replays events after a cursor, in order, then follows new ones', async () => {
      const base = Date.now() - 10_000;
      const events = [credential(base), credential(base + 1), credential(base + 2)];
      for (const event of events) await opened.bus.publish(event);
      const first = await follow(opened.bus, { sinceTime: base });
      await waitFor(() => first.events().length >= 3, 3000, 'the first replay');
      const cursor = first.messages.find((m) => events[0] !== undefined && eventKey(m.event) === eventKey(events[0]))?.cursor ?? '';
      const resumed = await follow(await opened.peer(), { cursor });
      await waitFor(() => resumed.events().length >= 2, 3000, 'the replay after the cursor');
      expect(resumed.events()).toEqual(events.slice(1));
      const later = credential(Date.now());
      await opened.bus.publish(later);
      await waitFor(() => resumed.has(later), 3000, 'a new event after the replay');
    });

    it('sends heartbeats while subscribed', async () => {
      const recorder = await follow(opened.bus, { sinceTime: Date.now() });
      await waitFor(() => recorder.beats.length >= 2, 3000, 'a second heartbeat');
      for (const at of recorder.beats) expect(Number.isFinite(at)).toBe(true);
    });

    it('delivers to every subscription of a bus, and to none once closed', async () => {
      const kept = await follow(opened.bus, { sinceTime: Date.now() });
      const closing = new Recorder();
      const subscription = opened.bus.subscribe(closing, { sinceTime: Date.now() });
      await waitFor(() => closing.beats.length > 0, 3000, 'the first heartbeat');
      await subscription.close();
      const event = credential(Date.now());
      await opened.bus.publish(event);
      expect(kept.has(event)).toBe(true);
      expect(closing.has(event)).toBe(false);
    });

    it('publishes with nobody listening', async () => {
      await expect(opened.bus.publish(credential(Date.now()))).resolves.toBeUndefined();
    });
  });
}
