import { ownerShard, shardOfSession } from '../../core/sessions.js';
import type { RedisClient } from './connection.js';
import type { Clock } from '../../core/clock.js';
import { type Session, sessionIdleEnd } from '../../core/model.js';
import type { SessionStore } from '../../core/ports.js';
import { guard } from './connection.js';
import type { RedisKeys } from './keys.js';
import { array, numbers, strings } from './replies.js';
import type { LuaScript } from './script.js';
import { CREATE_SESSION, LIST_SESSIONS, PURGE_SESSIONS, REVOKE_SESSION, TOUCH_SESSION } from './sessionScripts.js';
import { pairsToHash, sessionFromHash, sessionToFields } from './sessionRecord.js';

/** How many ended records one purge script deletes, so that no single script blocks Redis for long. */
const PURGE_BATCH = 500;

const byAge = (a: Session, b: Session): number =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const isLive = (s: Session, now: number): boolean => s.revokedAt === null && s.expiresAt > now && sessionIdleEnd(s) > now;

export interface RedisSessionStoreOptions {
  clock: Clock;
  keys: RedisKeys;
  /** How long a record (live, expired or revoked) is kept after its end. */
  retainMs: number;
}

/**
 * Sessions in Redis: a hash per session with a native TTL of "end + retention", a per-user sorted set of
 * live sessions scored by when each stops being live (Redis 7.0 has no per-field hash expiry), and one
 * sorted set of every session by its end, which makes purging exact. Every write is one Lua script.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #clock: Clock;
  readonly #keys: RedisKeys;
  readonly #retainMs: number;

  constructor(redis: RedisClient, options: RedisSessionStoreOptions) {
    this.#redis = redis;
    this.#clock = options.clock;
    this.#keys = options.keys;
    this.#retainMs = options.retainMs;
  }

  createSession(session: Session, cap: number, now: number): Promise<string[]> {
    const shard = shardOfSession(session.id);
    const keys = [this.#keys.session(session.id), this.#keys.userSessions(session.userId), this.#keys.sessionEnds(shard)];
    const args = [session.id, now, cap, this.#keys.sessionPrefix(shard), ...sessionToFields(session)];
    return guard(async () => strings(await this.#run(CREATE_SESSION, keys, args)));
  }

  getSession(id: string): Promise<Session | null> {
    return guard(async () => {
      const hash = await this.#redis.hgetall(this.#keys.session(id));
      return Object.keys(hash).length === 0 ? null : sessionFromHash(id, hash);
    });
  }

  touchSession(id: string, lastSeenAt: number): Promise<void> {
    const shard = shardOfSession(id);
    const keys = [this.#keys.session(id), this.#keys.sessionEnds(shard)];
    return guard(async () => {
      await this.#run(TOUCH_SESSION, keys, [id, lastSeenAt, this.#keys.userSessionsPrefix(shard)]);
    });
  }

  revokeSession(id: string, reason: string, now: number): Promise<Session | null> {
    const shard = shardOfSession(id);
    const keys = [this.#keys.session(id), this.#keys.sessionEnds(shard)];
    return guard(async () => {
      const before = await this.#run(REVOKE_SESSION, keys, [id, reason, now, this.#keys.userSessionsPrefix(shard)]);
      return before === null ? null : sessionFromHash(id, pairsToHash(array(before)));
    });
  }

  listSessions(userId: string, now: number): Promise<Session[]> {
    return guard(async () => {
      const prefix = this.#keys.sessionPrefix(ownerShard(userId));
      const rows = array(await this.#run(LIST_SESSIONS, [this.#keys.userSessions(userId)], [now, prefix]));
      const sessions = rows.map((row) => {
        const { id, ...hash } = pairsToHash(array(row));
        if (id === undefined) throw new Error('unexpected reply from Redis');
        return sessionFromHash(id, hash);
      });
      // The index is pruned by its scores; the records themselves decide.
      return sessions.filter((s) => isLive(s, now)).sort(byAge);
    });
  }

  /**
   * The ends indexes score each session by when it stops being live (revocation included): one count
   * per shard, sent together (ioredis pipelines them per node).
   */
  countLiveSessions(now: number): Promise<number> {
    return guard(async () => {
      const counts = await Promise.all(this.#keys.shards.map((shard) => this.#redis.zcount(this.#keys.sessionEnds(shard), `(${now}`, '+inf')));
      return counts.reduce((sum, n) => sum + n, 0);
    });
  }

  purgeSessions(before: number): Promise<number> {
    return guard(async () => {
      let purged = 0;
      for (const shard of this.#keys.shards) {
        const args = [before, PURGE_BATCH, this.#keys.sessionPrefix(shard), this.#keys.userSessionsPrefix(shard)];
        for (;;) {
          const [gone = 0, examined = 0] = numbers(await this.#run(PURGE_SESSIONS, [this.#keys.sessionEnds(shard)], args));
          purged += gone;
          if (examined < PURGE_BATCH) break;
        }
      }
      return purged;
    });
  }

  #run(script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return script.run(this.#redis, keys, [this.#clock.now(), this.#retainMs, ...args]);
  }
}
