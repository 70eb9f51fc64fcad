import type { RedisClient } from './connection.js';
import type { Clock } from '../../core/clock.js';
import type { LimitState, Limiter } from '../../core/ports.js';
import { guard } from './connection.js';
import type { RedisKeys } from './keys.js';
import { strings } from './replies.js';
import { LuaScript } from './script.js';

/** Kept past a window's end so that a key never vanishes while its window can still count (clocks differ a little). */
const TTL_SLACK_MS = 1000;

/**
 * KEYS: the window hash. ARGV: windowMs, now, the caller's clock now.
 * One script per hit so that concurrent hits all count: a fixed window starts at the first hit, and a
 * hit at or after its end starts the next. The key expires with its window, in real time.
 */
const HIT = new LuaScript(`
local key, now = KEYS[1], tonumber(ARGV[2])
local w = redis.call('HMGET', key, 's', 'e')
local count, start, windowEnd
if w[2] and now < tonumber(w[2]) then
  count, start, windowEnd = redis.call('HINCRBY', key, 'c', 1), w[1], tonumber(w[2])
  redis.call('HSET', key, 'l', ARGV[2])
else
  count, start, windowEnd = 1, ARGV[2], now + tonumber(ARGV[1])
  redis.call('HSET', key, 'c', 1, 's', ARGV[2], 'l', ARGV[2], 'e', windowEnd)
end
redis.call('PEXPIRE', key, math.max(1, math.floor(windowEnd - tonumber(ARGV[3]) + ${TTL_SLACK_MS})))
return { tostring(count), start, ARGV[2] }
`);

/** Fixed-window rate-limit counters in RedisClient, one hash per key, shared by every instance. */
export class RedisLimiter implements Limiter {
  readonly #redis: RedisClient;
  readonly #clock: Clock;
  readonly #keys: RedisKeys;

  constructor(redis: RedisClient, options: { clock: Clock; keys: RedisKeys }) {
    this.#redis = redis;
    this.#clock = options.clock;
    this.#keys = options.keys;
  }

  hit(key: string, windowMs: number, now: number): Promise<LimitState> {
    return guard(async () => {
      const reply = await HIT.run(this.#redis, [this.#keys.limit(key)], [windowMs, now, this.#clock.now()]);
      const [count, windowStart, lastAt] = strings(reply).map(Number);
      if (count === undefined || windowStart === undefined || lastAt === undefined) throw new Error('unexpected reply from Redis');
      return { count, windowStart, lastAt };
    });
  }

  peek(key: string, now: number): Promise<LimitState | null> {
    return guard(async () => {
      const [count, windowStart, lastAt, windowEnd] = await this.#redis.hmget(this.#keys.limit(key), 'c', 's', 'l', 'e');
      if (count === null || windowStart === null || lastAt === null || windowEnd === null) return null;
      if (now >= Number(windowEnd)) return null;
      return { count: Number(count), windowStart: Number(windowStart), lastAt: Number(lastAt) };
    });
  }

  reset(key: string): Promise<void> {
    return guard(async () => {
      await this.#redis.del(this.#keys.limit(key));
    });
  }
}
