import type { FastifyPluginAsync } from 'fastify';
import { SECOND } from '../../core/clock.js';
import { digestsEqual, sha256 } from '../../core/crypto.js';
import { AuthError } from '../../core/errors.js';
import type { Tessera } from '../../core/tessera.js';
import { problems } from '../schemas.js';

/** A poll waits at most this long for an event: an answer per second is the feed's heartbeat. */
const LONG_POLL_MS = SECOND;

const eventSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['credential', 'user'] },
    kind: { type: 'string', enum: ['session', 'family'] },
    sid: { type: 'string' },
    reason: { type: 'string' },
    userId: { type: 'string' },
    at: { type: 'integer' },
    notBefore: { type: ['integer', 'null'] },
  },
} as const;

/**
 * `GET /v1/revocations?since=`: the revocation feed over HTTP for services that cannot reach Redis
 * (the verifier library's `pollUrl`). A long poll, authenticated with TESSERA_FEED_SECRET; without
 * the secret configured the route does not exist.
 */
export const revocationFeedRoutes =
  (tessera: Tessera, feedSecret: string | null): FastifyPluginAsync =>
  async (app) => {
    if (feedSecret === null) return;
    const log = tessera.revocationFeed;
    const expected = sha256(`Bearer ${feedSecret}`);
    app.get<{ Querystring: { since?: string } }>(
      '/v1/revocations',
      {
        schema: {
          tags: ['operations'],
          operationId: 'followRevocations',
          security: [{ feedSecret: [] }],
          summary: 'The revocation feed (long poll; a bearer TESSERA_FEED_SECRET)',
          querystring: { type: 'object', properties: { since: { type: 'string', maxLength: 64 } } },
          response: {
            200: {
              type: 'object',
              properties: {
                events: { type: 'array', items: { type: 'object', properties: { cursor: { type: 'string' }, event: eventSchema } } },
                cursor: { type: ['string', 'null'] },
              },
            },
            ...problems(401, 503),
          },
        },
      },
      async (request) => {
        if (!digestsEqual(sha256(request.headers.authorization ?? ''), expected)) {
          throw new AuthError('unauthenticated', { detail: 'the feed needs TESSERA_FEED_SECRET as a bearer token' });
        }
        // A stale instance must not hand out heartbeats: the follower then fails closed too.
        tessera.assertFeedFresh();
        const since = request.query.since ?? null;
        // The cursor is the log id of the last event seen; anything else replays all that is retained.
        const after = since !== null && /^\d{1,15}$/.test(since) ? Number(since) : null;
        let events = log.since(after);
        if (events.length === 0) {
          await log.next(LONG_POLL_MS);
          events = log.since(after);
          tessera.assertFeedFresh();
        }
        const last = events.at(-1);
        return { events: events.map(({ id, event }) => ({ cursor: String(id), event })), cursor: last ? String(last.id) : since };
      },
    );
  };
