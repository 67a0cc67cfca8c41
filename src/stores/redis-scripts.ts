import { hash } from 'node:crypto';

// Each script writes a session and its bookkeeping together: Redis runs a script whole, so no other
// instance sees one without the other. Keys built inside a script (evicted or revoked sessions) tie
// this store to one Redis, not a cluster. Expiry times are ms since epoch on the app's clock.
// SAVE declares itself (#!lua), so a full Redis refuses it before it starts instead of half way;
// TOUCH may run on a full Redis (allow-oom): it only moves existing entries, so live sessions stay
// alive. The others free memory, or fail at their first write, before changing anything.

/**
 * The store's keys. Sessions live under the prefix; the bookkeeping lives outside it, as the lock's
 * keys do, so a scan of `<prefix>*` meets sessions only.
 */
export function redisKeys(prefix: string) {
  return {
    sessions: prefix,
    session: (key: string) => prefix + key,
    /** the previous code stored sessions under the plain ID: read once, then moved */
    legacy: (sid: string) => prefix + sid,
    /** sorted set of every session's store key, scored by its expiry: the cap evicts the lowest */
    active: `index:${prefix}active`,
    users: `index:${prefix}user:`,
    user: (userId: number) => `index:${prefix}user:${userId}`,
    tombstones: `tombstone:${prefix}`,
    tombstone: (key: string) => `tombstone:${prefix}${key}`,
  };
}

/**
 * KEYS: session, active, tombstone, user index ('' when anonymous), plain key to move from ('' when none)
 * ARGV: json, ttl ms, expires at, now, max sessions, store key, session prefix
 * Returns 1 when written; 0 when a tombstone dropped it, or when moving and someone else moved it first.
 */
export const SAVE = `#!lua
if KEYS[5] ~= '' then
  -- a move from the plain key: the copy read may be stale once the hashed key exists
  if redis.call('exists', KEYS[1]) == 1 then
    redis.call('del', KEYS[5])
    return 0
  end
  if redis.call('del', KEYS[5]) == 0 then return 0 end
end
if redis.call('exists', KEYS[3]) == 1 then return 0 end
local ttl = tonumber(ARGV[2])
if ttl <= 0 then
  redis.call('del', KEYS[1])
  redis.call('zrem', KEYS[2], ARGV[6])
  return 1
end
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[4])
if not redis.call('zscore', KEYS[2], ARGV[6]) then
  -- a new session at the cap ends the one closest to expiry, i.e. the least recently active;
  -- at most 10 per save, so a lowered cap drains gradually instead of blocking Redis
  local over = math.min(redis.call('zcard', KEYS[2]) - tonumber(ARGV[5]) + 1, 10)
  if over > 0 then
    local oldest = redis.call('zpopmin', KEYS[2], over)
    for i = 1, #oldest, 2 do redis.call('del', ARGV[7] .. oldest[i]) end
  end
end
redis.call('set', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('zadd', KEYS[2], ARGV[3], ARGV[6])
if KEYS[4] ~= '' then
  redis.call('zadd', KEYS[4], ARGV[3], ARGV[6])
  local last = redis.call('zrange', KEYS[4], -1, -1, 'WITHSCORES')
  redis.call('pexpireat', KEYS[4], last[2])
end
return 1`;

/**
 * KEYS: session, active, tombstone, user index ('' when anonymous)
 * ARGV: ttl ms, expires at, store key
 */
export const TOUCH = `#!lua flags=allow-oom
if redis.call('exists', KEYS[3]) == 1 then return 0 end
local ttl = tonumber(ARGV[1])
if ttl <= 0 then
  redis.call('zrem', KEYS[2], ARGV[3])
  return redis.call('del', KEYS[1])
end
if redis.call('pexpire', KEYS[1], ttl) == 0 then return 0 end
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
if KEYS[4] ~= '' then
  redis.call('zadd', KEYS[4], ARGV[2], ARGV[3])
  local last = redis.call('zrange', KEYS[4], -1, -1, 'WITHSCORES')
  redis.call('pexpireat', KEYS[4], last[2])
end
return 1`;

/** KEYS: session, legacy key, active; ARGV: store key. A logout: no tombstone needed. */
export const DESTROY = `
redis.call('zrem', KEYS[3], ARGV[1])
return redis.call('del', KEYS[1], KEYS[2])`;

/**
 * KEYS: session, active, tombstone; ARGV: store key, tombstone ms. The tombstone goes first: if
 * Redis is full it fails and nothing has changed. The user index is pruned when next read.
 */
export const DESTROY_BY_KEY = `
redis.call('set', KEYS[3], '1', 'PX', ARGV[2])
redis.call('zrem', KEYS[2], ARGV[1])
return redis.call('del', KEYS[1])`;

/**
 * KEYS: user index, active; ARGV: session prefix, tombstone prefix, tombstone ms, store key to keep, user id
 * Ends the user's sessions, not a stale member's that now holds another user (or none); returns how
 * many ended. A member whose session is gone gets a tombstone too: a request may still hold it.
 */
export const DESTROY_BY_USER = `
local ended = 0
for _, key in ipairs(redis.call('zrange', KEYS[1], 0, -1)) do
  if key ~= ARGV[4] then
    local json = redis.call('get', ARGV[1] .. key)
    local theirs = not json
    if json then
      local ok, session = pcall(cjson.decode, json)
      theirs = ok and type(session) == 'table' and session.userId == tonumber(ARGV[5])
    end
    if theirs then
      redis.call('set', ARGV[2] .. key, '1', 'PX', ARGV[3])
      ended = ended + redis.call('del', ARGV[1] .. key)
      redis.call('zrem', KEYS[2], key)
    end
    redis.call('zrem', KEYS[1], key)
  end
end
return ended`;

/**
 * KEYS: user index; ARGV: session prefix, now. Drops members whose session expired or is gone and
 * returns the rest flat: key, json, pttl, key, json, pttl, ...
 */
export const LIST_BY_USER = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[2])
local out = {}
for _, key in ipairs(redis.call('zrange', KEYS[1], 0, -1)) do
  local json = redis.call('get', ARGV[1] .. key)
  if json then
    table.insert(out, key)
    table.insert(out, json)
    table.insert(out, redis.call('pttl', ARGV[1] .. key))
  else
    redis.call('zrem', KEYS[1], key)
  end
end
return out`;

/** The one node-redis method scripts need. */
export interface ScriptClient {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
}

// each script's SHA-1, computed on its first run: the scripts (these and the lock's) are constants
const SHAS = new Map<string, string>();
const shaOf = (script: string) => {
  let sha = SHAS.get(script);
  if (sha === undefined) {
    sha = hash('sha1', script, 'hex');
    SHAS.set(script, sha);
  }
  return sha;
};

/** EVALSHA, falling back to EVAL once when Redis has not seen the script (a restart flushes them). */
export async function runScript<T>(
  client: ScriptClient,
  script: string,
  keys: string[],
  args: Array<string | number>,
): Promise<T> {
  const sha = shaOf(script);
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await client.sendCommand<T>(['EVALSHA', sha, ...tail]);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.sendCommand<T>(['EVAL', script, ...tail]);
  }
}
