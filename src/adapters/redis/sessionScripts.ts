import { LuaScript } from './script.js';

/*
 * The session store's writes, each one Lua script so that Redis runs it whole: a user's index, the
 * records it names and the purge index never disagree, even under concurrent logins on many instances.
 * Scripts reach records and indexes named inside other records (a user's index from a session's owner):
 * allowed because a user's records, index and shard's end index share one hash tag (keys.ts), so all
 * of them live in one Redis Cluster slot.
 *
 * Every script takes ARGV[1] = the caller's clock "now" and ARGV[2] = the retention after a session's
 * end. Records carry the caller's times, while Redis TTLs run on real time: a TTL is "retention after
 * the end", counted from the caller's now.
 */
const PRELUDE = `
local clockNow, retain = tonumber(ARGV[1]), tonumber(ARGV[2])
local function ttl(endMs) return math.max(1, math.floor(endMs + retain - clockNow)) end
-- A TTL only grows here: a late or repeated write never cuts a record's retention short.
local function extend(key, ms) if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end end
-- The moment a session stops being live unless revoked: its absolute or its idle end.
local function liveEnd(e, l, i) return math.min(tonumber(e), tonumber(l) + tonumber(i)) end
`;

/**
 * KEYS: record, user index, end index. ARGV[3..]: id, now, cap, record key prefix, field/value pairs.
 * Inserts, then returns the ids of the owner's oldest live sessions beyond the cap. It does not revoke
 * them: the core logs their revocation first, then tombstones them (REVOKE_SESSION) as its effect.
 */
export const CREATE_SESSION = new LuaScript(`${PRELUDE}
local rec, idx, ends = KEYS[1], KEYS[2], KEYS[3]
local id, now, cap, recPrefix = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
redis.call('DEL', rec)
redis.call('HSET', rec, unpack(ARGV, 7))
local f = redis.call('HMGET', rec, 'e', 'l', 'i', 'ra')
local live = liveEnd(f[1], f[2], f[3])
redis.call('PEXPIRE', rec, ttl(tonumber(f[4]) or live))
redis.call('ZADD', ends, tonumber(f[4]) or live, id)
if not f[4] then
  redis.call('ZADD', idx, live, id)
  extend(idx, ttl(live))
end
-- Members whose live end has passed are no longer live: prune them before counting.
redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
-- Under the cap by count alone (the usual login): no need to read the others' records.
local counted = redis.call('ZCARD', idx) - (redis.call('ZSCORE', idx, id) and 1 or 0)
if counted + 1 <= cap then return {} end
local others = {}
for _, other in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  if other ~= id then
    local o = redis.call('HMGET', recPrefix .. other, 'c', 'ra')
    if o[1] and not o[2] then others[#others + 1] = { id = other, c = tonumber(o[1]) }
    else redis.call('ZREM', idx, other) end
  end
end
-- Oldest first, ties by id in byte order as JavaScript sorts (Lua's string < follows the server locale).
table.sort(others, function(a, b)
  if a.c ~= b.c then return a.c < b.c end
  for k = 1, math.min(#a.id, #b.id) do
    local x, y = string.byte(a.id, k), string.byte(b.id, k)
    if x ~= y then return x < y end
  end
  return #a.id < #b.id
end)
local over = {}
for n = 1, math.min(#others, #others + 1 - cap) do over[#over + 1] = others[n].id end
return over
`);

/**
 * KEYS: record, end index. ARGV[3..]: id, lastSeenAt, user index key prefix.
 * Records use on a session that is not revoked, never moving it back; returns 1 when it did.
 */
export const TOUCH_SESSION = new LuaScript(`${PRELUDE}
local rec, ends, id, seen = KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[4])
local f = redis.call('HMGET', rec, 'u', 'e', 'l', 'i', 'ra')
if not f[1] or f[5] or seen <= tonumber(f[3]) then return 0 end
redis.call('HSET', rec, 'l', ARGV[4])
local live = liveEnd(f[2], seen, f[4])
extend(rec, ttl(live))
redis.call('ZADD', ends, live, id)
local idx = ARGV[5] .. f[1]
redis.call('ZADD', idx, live, id)
extend(idx, ttl(live))
return 1
`);

/**
 * KEYS: record, end index. ARGV[3..]: id, reason, now, user index key prefix.
 * Tombstones a session not yet revoked; returns its hash as it was (flat pairs), else false (nil).
 */
export const REVOKE_SESSION = new LuaScript(`${PRELUDE}
local rec, ends, id, now = KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[5])
local f = redis.call('HMGET', rec, 'u', 'ra')
if not f[1] or f[2] then return false end
local before = redis.call('HGETALL', rec)
redis.call('HSET', rec, 'ra', ARGV[5], 'rr', ARGV[4])
-- The tombstone stays for the retention after the revocation, then goes like any ended record.
redis.call('PEXPIRE', rec, ttl(now))
redis.call('ZADD', ends, now, id)
redis.call('ZREM', ARGV[6] .. f[1], id)
return before
`);

/**
 * KEYS: user index. ARGV[3..]: now, record key prefix.
 * Prunes members that are no longer live or whose record is gone; returns the rest as
 * flat pairs with the id first, read in one step so that a concurrent login cannot tear the list.
 */
export const LIST_SESSIONS = new LuaScript(`${PRELUDE}
local idx, recPrefix = KEYS[1], ARGV[4]
redis.call('ZREMRANGEBYSCORE', idx, '-inf', ARGV[3])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  local hash = redis.call('HGETALL', recPrefix .. id)
  if #hash == 0 then redis.call('ZREM', idx, id)
  else
    table.insert(hash, 1, id)
    table.insert(hash, 1, 'id')
    out[#out + 1] = hash
  end
end
return out
`);

/**
 * KEYS: end index. ARGV[3..]: before, batch size, record key prefix, user index key prefix.
 * Deletes up to one batch of records that ended before \`before\`, with their index entries; returns
 * { records deleted, members examined }. Records whose TTL already took them only leave the indexes.
 */
export const PURGE_SESSIONS = new LuaScript(`${PRELUDE}
local ends, recPrefix, idxPrefix = KEYS[1], ARGV[5], ARGV[6]
local ids = redis.call('ZRANGEBYSCORE', ends, '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local gone = 0
for _, id in ipairs(ids) do
  local owner = redis.call('HGET', recPrefix .. id, 'u')
  if owner then
    redis.call('ZREM', idxPrefix .. owner, id)
    gone = gone + redis.call('DEL', recPrefix .. id)
  end
  redis.call('ZREM', ends, id)
end
return { gone, #ids }
`);
