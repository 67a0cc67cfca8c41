import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { withDeadline } from '../deadline';
import { type RedisClient, runScript } from '../redis';
import { parseSession } from './session-json';
import type { Callback, SessionBackend, StoredSession } from './types';

export interface RedisStoreOptions {
  client: RedisClient;
  /** key prefix, so sessions share a Redis with other data */
  prefix: string;
  /** most sessions kept: a new one past it ends the least recently active */
  maxSessions: number;
  /** lifetime of a session whose cookie has no expiry (a browser-session cookie): the idle lifetime */
  ttlMs: number;
  /** deadline for closing politely */
  timeoutMs: number;
}

// connect-redis has no bound on how many sessions it keeps, and on a full Redis a flood of new
// sessions would evict (or, with noeviction, block) the login counters: so the store keeps a sorted
// set of its keys by expiry, and a new key past the cap ends the one closest to expiry (least recently
// active), at most 10 per save so a lowered cap drains gradually; never the new key itself, which may
// expire first (a lowered lifetime, an instance whose clock is behind) and would then live on uncounted.
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
  private readonly capKey: string;
  private closed = false;

  /** the node-redis client, which the lock and the login counters share */
  get redis(): RedisClient {
    return this.options.client;
  }

  constructor(private readonly options: RedisStoreOptions) {
    super({
      client: options.client,
      prefix: options.prefix,
      ttl: Math.ceil(options.ttlMs / 1000), // for cookies with no expiry of their own
      serializer: { stringify: JSON.stringify, parse: (text) => parseSession(text) as SessionData },
    });
    this.capKey = `cap:${options.prefix}`; // outside the prefix: a scan of sessions never meets it
  }

  private expiryOf(session: SessionData): number {
    const expires = session.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + this.options.ttlMs;
  }

  override async set(key: string, session: SessionData, cb?: Callback): Promise<void> {
    const { client, prefix, maxSessions } = this.options;
    const args = [key, this.expiryOf(session), Date.now(), maxSessions, prefix];
    // sent together: node-redis writes both in one go, so the cap costs no extra round trip
    const cap = runScript(client, KEEP_WITHIN_CAP, [this.capKey], args);
    await Promise.all([super.set(key, session), cap]).then(() => cb?.(), cb);
  }

  override async touch(key: string, session: SessionData, cb?: Callback): Promise<void> {
    // only the cap's order: a full Redis refuses ZADD (it may grow memory) but not EXPIRE, and a live
    // session must stay alive then; at worst the cap ends it a little early
    const order = this.options.client
      .zAdd(this.capKey, { score: this.expiryOf(session), value: key }, { XX: true })
      .catch(() => {});
    await Promise.all([super.touch(key, session), order]).then(() => cb?.(), cb);
  }

  override async destroy(key: string, cb?: Callback): Promise<void> {
    await Promise.all([super.destroy(key), this.options.client.zRem(this.capKey, key)]).then(
      () => cb?.(),
      cb,
    );
  }

  /** connect-redis deletes the session keys; the cap's set goes too, or it would still count them. */
  override async clear(cb?: Callback): Promise<void> {
    await Promise.all([super.clear(), this.options.client.del(this.capKey)]).then(() => cb?.(), cb);
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
    const sessions: StoredSession[] = [];
    keys.forEach((k, i) => {
      const data = parseSession(texts[i] ?? '');
      const ttl = ttls[i] ?? -1;
      if (data) sessions.push({ key: k.slice(prefix.length), data, expiresAt: ttl > 0 ? now + ttl : null });
    });
    sessions.sort((a, b) => (b.expiresAt ?? 0) - (a.expiresAt ?? 0));
    return { sessions: sessions.slice(0, limit), total: Math.max(total, sessions.length), approximate: true };
  }

  async ping(): Promise<void> {
    await this.options.client.ping();
  }

  /** Quits politely when connected (pending replies arrive first), else drops the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { client, timeoutMs } = this.options;
    if (client.isReady) {
      const quit = await withDeadline(client.close(), timeoutMs, 'redis quit').then(
        () => true,
        () => false,
      );
      if (quit) return;
    }
    try {
      client.destroy();
    } catch {} // already closed
  }
}
