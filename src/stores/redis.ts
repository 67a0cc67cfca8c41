import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { withDeadline } from '../deadline';
import { type RedisClient, runScript } from '../redis';
import { expiresAt, parseSession } from './session-json';
import type { Callback, SessionBackend } from './types';

export interface RedisStoreOptions {
  client: RedisClient;
  prefix: string; // so sessions share a Redis with other data
  maxSessions: number; // a new session past it ends the least recently active
  ttlMs: number; // the idle lifetime: a session whose cookie has no expiry lives this long
  timeoutMs: number; // for closing politely
}

// connect-redis keeps sessions without bound, and a flood of new ones would evict (or, with noeviction,
// block) the login counters. So a sorted set holds the keys by expiry, and a new key past the cap ends
// the ones closest to expiry (least recently active), at most 10 per save so a lowered cap drains
// gradually; never the new key itself, which may expire first and would then live on uncounted.
// Keys built in the script tie this to one Redis, not a cluster.
// KEYS: the sorted set; ARGV: store key, expiry (ms), now (ms), cap, session prefix
const KEEP_WITHIN_CAP = `
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[3])
if redis.call('zadd', KEYS[1], ARGV[2], ARGV[1]) == 1 then
  local over = math.min(redis.call('zcard', KEYS[1]) - tonumber(ARGV[4]), 10)
  if over > 0 then
    for _, key in ipairs(redis.call('zrange', KEYS[1], 0, over)) do
      if over > 0 and key ~= ARGV[1] then
        redis.call('zrem', KEYS[1], key)
        redis.call('del', ARGV[5] .. key)
        over = over - 1
      end
    end
  end
end`;

const SCAN_LIMIT = 1000;

/**
 * Sessions in Redis through connect-redis, shared by every instance, with a global cap. Errors and
 * deadlines are HashedKeyStore's; this adds the cap, a listing for /store, ping and close.
 */
export class RedisSessionStore extends RedisStore implements SessionBackend {
  /** the node-redis client, which the lock and the login counters share */
  readonly redis: RedisClient;
  private readonly capKey: string;

  constructor(private readonly options: RedisStoreOptions) {
    super({
      client: options.client,
      prefix: options.prefix,
      ttl: Math.ceil(options.ttlMs / 1000), // for cookies with no expiry of their own
      serializer: { stringify: JSON.stringify, parse: (text) => parseSession(text) as SessionData },
    });
    this.redis = options.client;
    this.capKey = `cap:${options.prefix}`; // outside the prefix: a scan of sessions never meets it
  }

  override async set(key: string, session: SessionData, cb?: Callback): Promise<void> {
    const { client, prefix, maxSessions, ttlMs } = this.options;
    const args = [key, expiresAt(session, Date.now(), ttlMs), Date.now(), maxSessions, prefix];
    // sent together: node-redis writes both in one go, so the cap costs no extra round trip
    const cap = runScript(client, KEEP_WITHIN_CAP, [this.capKey], args);
    await Promise.all([super.set(key, session), cap]).then(() => cb?.(), cb);
  }

  override async touch(key: string, session: SessionData, cb?: Callback): Promise<void> {
    // only the cap's order: a full Redis refuses ZADD (it may grow memory) but not EXPIRE, and a live
    // session must stay alive then; at worst the cap ends it a little early
    const score = expiresAt(session, Date.now(), this.options.ttlMs);
    const order = this.redis.zAdd(this.capKey, { score, value: key }, { XX: true }).catch(() => {});
    await Promise.all([super.touch(key, session), order]).then(() => cb?.(), cb);
  }

  override async destroy(key: string, cb?: Callback): Promise<void> {
    await Promise.all([super.destroy(key), this.redis.zRem(this.capKey, key)]).then(() => cb?.(), cb);
  }

  /** connect-redis deletes the session keys; the cap's set goes too, or it would still count them. */
  override async clear(cb?: Callback): Promise<void> {
    await Promise.all([super.clear(), this.redis.del(this.capKey)]).then(() => cb?.(), cb);
  }

  /** Up to 1,000 keys by SCAN, with their TTLs; the total is the cap's count, so both are approximate. */
  async recent(limit: number) {
    const { client, prefix } = this.options;
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 200 })) {
      keys.push(...batch.slice(0, SCAN_LIMIT - keys.length));
      if (keys.length >= SCAN_LIMIT) break;
    }
    const [texts, ttls, total] = await Promise.all([
      keys.length ? client.mGet(keys) : [],
      Promise.all(keys.map((k) => client.pTTL(k))),
      client.zCard(this.capKey),
    ]);
    const now = Date.now();
    const sessions = keys.flatMap((k, i) => {
      const data = parseSession(texts[i] ?? '');
      const ttl = ttls[i] ?? -1;
      return data ? [{ key: k.slice(prefix.length), data, expiresAt: ttl > 0 ? now + ttl : null }] : [];
    });
    sessions.sort((a, b) => (b.expiresAt ?? 0) - (a.expiresAt ?? 0));
    return { sessions: sessions.slice(0, limit), total: Math.max(total, sessions.length), approximate: true };
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /** Quits politely when connected (pending replies arrive first), else drops the socket. */
  async close(): Promise<void> {
    const { client, timeoutMs } = this.options;
    if (!client.isOpen) return; // closed already
    if (client.isReady) {
      const failed = await withDeadline(client.close(), timeoutMs, 'redis quit').catch((err: unknown) => err);
      if (!failed) return;
    }
    try {
      client.destroy();
    } catch {} // after a quit that timed out it fails the pending replies, then throws: the quit began
  }
}
