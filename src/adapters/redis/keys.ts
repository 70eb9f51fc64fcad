import { SESSION_SHARDS, ownerShard, shardOfSession } from '../../core/sessions.js';

/**
 * Where Tessera's data lives in Redis. Everything sits under the configured prefix, written by hand:
 * ioredis `keyPrefix` would miss SCAN patterns and stream names passed as arguments.
 *
 * Keys are hash-tagged so that Redis Cluster spreads them while every Lua script touches one slot:
 * - a session's record, its owner's index and the shard's end index share the owner's shard tag
 *   (`{s:N}`, N < SESSION_SHARDS); a session id starts with that shard, so a look-up by id finds it;
 * - a rate-limit window is tagged by its own subject;
 * - the revocation stream and its marker share one slot of their own (`{feed}`): low volume, ordered.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  #shard(shard: number): string {
    return `${this.prefix}{s:${shard}}:`;
  }

  /** A session record (hash), kept until a day after the session's end. */
  session(id: string): string {
    return `${this.sessionPrefix(shardOfSession(id))}${id}`;
  }

  /** What a record key is, but its id: the same for every session of one owner. */
  sessionPrefix(shard: number): string {
    return `${this.#shard(shard)}s:`;
  }

  /** A user's live sessions (sorted set scored by the moment each stops being live). */
  userSessions(userId: string): string {
    return `${this.userSessionsPrefix(ownerShard(userId))}${userId}`;
  }

  userSessionsPrefix(shard: number): string {
    return `${this.#shard(shard)}su:`;
  }

  /** The sessions of one shard by the end that purging goes by (sorted set). */
  sessionEnds(shard: number): string {
    return `${this.#shard(shard)}se`;
  }

  /** Every shard, for the work that spans them (counting, purging). */
  get shards(): number[] {
    return Array.from({ length: SESSION_SHARDS }, (_, shard) => shard);
  }

  /** One rate-limit window (hash), in a slot of its own. */
  limit(key: string): string {
    return `${this.prefix}{l:${key}}`;
  }

  /** The revocation feed (stream). */
  get feed(): string {
    return `${this.prefix}{feed}`;
  }

  /**
   * Present (holding the feed node's run id) while the stream holds every retained event: the relay sets
   * it after re-publishing the log, so a flush, a restart or a failover shows as its absence or a
   * foreign run id.
   */
  get feedIntact(): string {
    return `${this.prefix}{feed}:intact`;
  }

  /** Written by the readiness probe, in the feed's slot. */
  get probe(): string {
    return `${this.prefix}{feed}:probe`;
  }
}
