import { type SessionData, Store } from 'express-session';
import { withDeadline } from '../errors';
import type { Logger } from '../logger';
import { storeKey } from './key';
import { expiresAt, justWritten, markWritten, parseSession } from './record';
import { createRedisClient, type RedisClient, storeError } from './redis-client';
import { allSessions, clearSessions, countSessions, legacyIds, STORE_KEY } from './redis-scan';
import { DESTROY, redisKeys, runScript, SAVE, TOUCH } from './redis-scripts';
import { destroyByKey, destroyByUser, listByUser } from './redis-users';
import type { Callback, SessionStore, UserSession } from './types';

export type { RedisClient };

export interface RedisStoreOptions {
  url: string;
  /** key prefix, so sessions share a Redis with other data */
  prefix: string;
  /** deadline for every store call and for connecting */
  timeoutMs: number;
  /** hard cap: a new session past it ends the least recently active one */
  maxSessions: number;
  /** lifetime of a session whose cookie has no expiry: the idle lifetime */
  ttlMs: number;
  /** how long a revoked session's writes are refused: longer than any request holding it (the lock ttl) */
  tombstoneMs?: number;
  logger: Logger;
}

/**
 * Sessions in Redis, shared by every instance of the app, each under the hash of its ID, with a cap,
 * a per-user index and tombstones kept by the same scripts that write it. Connects in the background
 * and keeps reconnecting; while Redis is down, unreachable, silent or full every call fails within timeoutMs.
 */
export class RedisSessionStore extends Store implements SessionStore {
  /** the node-redis client, for other features that keep state in the same Redis */
  readonly client: RedisClient;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly options: Required<Omit<RedisStoreOptions, 'url' | 'logger' | 'prefix'>>;
  private closed = false;

  constructor({ url, prefix, logger, tombstoneMs = 10_000, ...options }: RedisStoreOptions) {
    super();
    this.options = { ...options, tombstoneMs };
    this.keys = redisKeys(prefix);
    this.client = createRedisClient(url, options.timeoutMs, logger);
  }

  private call<T>(cb: Callback<T> | undefined, what: string, work: () => Promise<T>): void {
    this.run(what, work).then(
      (value) => process.nextTick(() => cb?.(undefined, value)), // outside the promise: a throw is not swallowed
      (err) => process.nextTick(() => cb?.(err)),
    );
  }

  private run<T>(what: string, work: () => Promise<T>): Promise<T> {
    return withDeadline(Promise.resolve().then(work), this.options.timeoutMs, `redis ${what}`).catch(
      (err) => {
        throw storeError(err);
      },
    );
  }

  private script<T>(script: string, keys: string[], args: Array<string | number>): Promise<T> {
    return runScript<T>(this.client, script, keys, args);
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.call(cb, 'get', async () => {
      const key = storeKey(sid);
      // one round trip for both: the hashed key, and the plain one the previous code wrote
      const [text, legacy] = await this.client.mGet([this.keys.session(key), this.keys.legacy(sid)]);
      if (text) return parseSession(text) ?? null;
      const session = legacy ? parseSession(legacy) : undefined;
      if (!session) return null;
      if (await this.save(key, session, this.keys.legacy(sid))) return session; // moved, indexed if logged in
      // revoked meanwhile (then gone), or moved by another reader first (then read that)
      return parseSession((await this.client.get(this.keys.session(key))) ?? '') ?? null;
    });
  }

  /**
   * Moves every session still under its plain ID to its hash now, instead of on its first read, so
   * the per-user index holds them all; resolves to how many. Safe alongside requests and other instances.
   */
  async moveLegacySessions(): Promise<number> {
    let moved = 0;
    for await (const sids of legacyIds(this.client, this.keys)) {
      const texts = await this.client.mGet(sids.map(this.keys.legacy));
      for (const [i, sid] of sids.entries()) {
        const session = parseSession(texts[i] ?? '');
        if (session && (await this.save(storeKey(sid), session, this.keys.legacy(sid)))) moved++;
      }
    }
    return moved;
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    this.call(cb, 'set', async () => {
      await this.save(storeKey(sid), session);
      markWritten(session);
    });
  }

  /** Writes the session, its cap entry and its user index in one script; false when a tombstone dropped it. */
  private async save(key: string, session: SessionData, legacyKey = ''): Promise<boolean> {
    const now = Date.now();
    const expires = Math.ceil(expiresAt(session, now, this.options.ttlMs));
    const keys = [this.keys.session(key), this.keys.active, this.keys.tombstone(key)];
    keys.push(this.userIndex(session), legacyKey);
    const args = [JSON.stringify(session), expires - now, expires, now, this.options.maxSessions, key];
    return (await this.script(SAVE, keys, [...args, this.keys.sessions])) === 1;
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    if (justWritten(session)) {
      cb?.();
      return;
    }
    this.call(cb, 'touch', async () => {
      const key = storeKey(sid);
      const now = Date.now();
      const expires = Math.ceil(expiresAt(session, now, this.options.ttlMs));
      const keys = [this.keys.session(key), this.keys.active, this.keys.tombstone(key)];
      await this.script(TOUCH, [...keys, this.userIndex(session)], [expires - now, expires, key]);
    });
  }

  private userIndex(session: SessionData): string {
    return Number.isSafeInteger(session.userId) ? this.keys.user(session.userId) : ''; // anonymous: not indexed
  }

  override destroy(sid: string, cb?: Callback): void {
    const key = storeKey(sid);
    const keys = [this.keys.session(key), this.keys.legacy(sid), this.keys.active];
    this.call(cb, 'destroy', async () => void (await this.script(DESTROY, keys, [key])));
  }

  /** Keyed by store key (the hash): the store does not know the IDs. */
  override all(cb: Callback<Record<string, SessionData>>): void {
    this.call(cb, 'all', () => allSessions(this.client, this.keys));
  }

  override length(cb: Callback<number>): void {
    this.call(cb, 'length', () => countSessions(this.client, this.keys));
  }

  /** Every session and its bookkeeping; tombstones stay, so a revoke still holds. */
  override clear(cb?: Callback): void {
    this.call(cb, 'clear', () => clearSessions(this.client, this.keys));
  }

  listByUser(userId: number): Promise<UserSession[]> {
    return this.run('listByUser', () => listByUser(this.client, this.keys, userId));
  }

  destroyByUser(userId: number, { except }: { except?: string } = {}): Promise<number> {
    const keep = except === undefined ? '' : storeKey(except);
    const { tombstoneMs } = this.options;
    return this.run('destroyByUser', () => destroyByUser(this.client, this.keys, userId, keep, tombstoneMs));
  }

  destroyByKey(key: string): Promise<boolean> {
    if (!STORE_KEY.test(key)) return Promise.resolve(false); // not a store key: nothing of ours
    const { tombstoneMs } = this.options;
    return this.run('destroyByKey', () => destroyByKey(this.client, this.keys, key, tombstoneMs));
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.client.ping());
  }

  /** Quits politely when connected (pending replies arrive first), else drops the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.isReady) {
      const quit = await withDeadline(this.client.close(), this.options.timeoutMs, 'redis quit').then(
        () => true,
        () => false,
      );
      if (quit) return;
    }
    try {
      this.client.destroy();
    } catch {} // already closed
  }
}
