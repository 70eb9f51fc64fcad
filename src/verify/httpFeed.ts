import type { Clock } from '../core/clock.js';
import { SECOND } from '../core/clock.js';
import type { RevocationEvent } from '../core/model.js';
import type { EventBus, FeedListener, FeedStart, Subscription } from '../core/ports.js';

/** What GET /v1/revocations answers: the events after `since` (each with its log id as a cursor), and the cursor to ask from next. */
export interface FeedPage {
  events: Array<{ cursor: string; event: RevocationEvent }>;
  cursor: string | null;
}

/**
 * Follows Tessera's revocation feed over HTTP, for services that cannot reach Redis: a long poll of
 * `GET /v1/revocations?since=` (each answer, events or not, is the heartbeat), authenticated with the
 * feed secret. After an error it retries with back-off from the last cursor, sending no heartbeat
 * meanwhile, so that the verifier goes stale and fails closed.
 */
export class HttpFeed implements Pick<EventBus, 'subscribe'> {
  readonly #url: string;
  readonly #secret: string;
  readonly #clock: Clock;

  constructor(url: string, secret: string, clock: Clock) {
    this.#url = url;
    this.#secret = secret;
    this.#clock = clock;
  }

  subscribe(listener: FeedListener, _start: FeedStart): Subscription {
    const controller = new AbortController();
    void this.#follow(listener, null, controller.signal);
    return { close: async () => controller.abort() };
  }

  async #follow(listener: FeedListener, from: string | null, signal: AbortSignal): Promise<void> {
    let cursor = from;
    let backoff = 250;
    while (!signal.aborted) {
      try {
        const page = await this.#poll(cursor, signal);
        for (const { cursor: id, event } of page.events) listener.onEvent({ id: Number(id), event });
        cursor = page.cursor ?? cursor;
        listener.onHeartbeat(this.#clock.now());
        backoff = 250;
      } catch {
        if (signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(backoff * 2, 2 * SECOND);
      }
    }
  }

  async #poll(cursor: string | null, signal: AbortSignal): Promise<FeedPage> {
    const url = new URL(this.#url);
    if (cursor !== null) url.searchParams.set('since', cursor);
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${this.#secret}`, accept: 'application/json' },
      signal: AbortSignal.any([signal, AbortSignal.timeout(5 * SECOND)]),
    });
    if (!response.ok) throw new Error(`revocation feed answered ${response.status}`);
    return (await response.json()) as FeedPage;
  }
}
