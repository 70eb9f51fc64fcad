/**
 * Where Tessera's data lives in Redis. Everything sits under the configured prefix, written by hand:
 * ioredis `keyPrefix` would miss SCAN patterns and stream names passed as arguments.
 */
export class RedisKeys {
  /**
   * `{t}` is one hash tag for the whole deployment: on Redis Cluster every key lands in one slot, so
   * multi-key Lua scripts (and the keys they derive from records) work, at the cost of one shard's capacity.
   */
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${prefix}{t}:`;
  }

  /** A session record (hash), kept until a day after the session's end. */
  session(id: string): string {
    return `${this.sessionPrefix}${id}`;
  }

  get sessionPrefix(): string {
    return `${this.base}s:`;
  }

  /** A user's live sessions (sorted set scored by the moment each stops being live). */
  userSessions(userId: string): string {
    return `${this.userSessionsPrefix}${userId}`;
  }

  get userSessionsPrefix(): string {
    return `${this.base}su:`;
  }

  /** Every session by the end that purging goes by (sorted set). */
  get sessionEnds(): string {
    return `${this.base}se`;
  }

  /** One rate-limit window (hash). */
  limit(key: string): string {
    return `${this.base}l:${key}`;
  }

  /** The revocation feed (stream). */
  get feed(): string {
    return `${this.base}feed`;
  }

  /**
   * Present (holding Redis's run id) while the stream holds every retained event: the relay sets it
   * after re-publishing the log, so a flush or a restart shows as its absence or a foreign run id.
   */
  get feedIntact(): string {
    return `${this.base}feed:intact`;
  }
}
