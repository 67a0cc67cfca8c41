import { type SessionData, Store } from 'express-session';
import { LRUCache } from 'lru-cache';
import { storeKey } from './key';
import { expiresAt, justWritten, markWritten, parseSession } from './record';
import { Tombstones } from './tombstones';
import type { Callback, SessionStore, UserSession } from './types';
import { UserIndex } from './user-index';

interface Entry {
  json: string;
  expires: number;
  /** the session's user, when logged in: where the per-user index holds its key */
  userId?: number;
}

export interface MemoryStoreOptions {
  /** hard cap: past it the least recently used session is evicted */
  maxSessions: number;
  /** idle lifetime: the expiry of a session whose cookie has none */
  ttlMs?: number;
  /** how long a session ended by key or by user refuses writes from its in-flight requests */
  tombstoneMs?: number;
  now?: () => number;
  pruneIntervalMs?: number;
}

/**
 * A bounded, volatile session store: at most maxSessions, least recently used evicted first,
 * expired ones pruned on a timer. Keyed by the hash of each session ID, with a per-user index.
 * Everything is gone when the process stops.
 */
export class MemorySessionStore extends Store implements SessionStore {
  private readonly cache: LRUCache<string, Entry>;
  private readonly index = new UserIndex();
  private readonly tombstones: Tombstones;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions) {
    super();
    const { maxSessions, ttlMs = 86_400_000, tombstoneMs = 10_000, now = Date.now } = options;
    this.cache = new LRUCache<string, Entry>({
      max: maxSessions,
      // every way out of the cache (evicted, replaced, deleted, cleared) passes here: the index follows
      dispose: ({ userId }, key) => userId !== undefined && this.index.remove(userId, key),
    });
    this.tombstones = new Tombstones(tombstoneMs, now);
    this.ttlMs = ttlMs;
    this.now = now;
    this.timer = setInterval(() => this.prune(), options.pruneIntervalMs ?? 60_000).unref();
  }

  private live(key: string): Entry | undefined {
    const entry = this.cache.get(key);
    if (!entry || entry.expires > this.now()) return entry;
    this.cache.delete(key); // expired: out of the cache and, through dispose, out of the index
  }

  /** How many users the per-user index holds (for tests). */
  get indexedUsers(): number {
    return this.index.users;
  }

  /** Deletes every expired session; returns how many. */
  prune(): number {
    const now = this.now();
    let removed = 0;
    for (const [key, entry] of this.cache.entries()) {
      if (entry.expires <= now && this.cache.delete(key)) removed++;
    }
    return removed;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    const entry = this.live(storeKey(sid));
    cb(undefined, entry ? (parseSession(entry.json) ?? null) : null);
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    const key = storeKey(sid);
    // ended moments ago (by key or by user): a late write of an in-flight request must not revive it
    if (!this.tombstones.has(key)) {
      const userId = typeof session.userId === 'number' ? session.userId : undefined;
      const expires = expiresAt(session, this.now(), this.ttlMs);
      const json = JSON.stringify(session);
      const entry = this.cache.get(key); // most recently used now, as set would make it
      if (entry && entry.userId === userId) {
        entry.json = json; // the usual save: same session, same user, the index already right
        entry.expires = expires;
      } else {
        this.cache.set(key, { json, expires, userId }); // disposes the old entry first
        if (userId !== undefined) this.index.add(userId, key);
      }
      markWritten(session);
    }
    cb?.();
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    const entry = justWritten(session) ? undefined : this.live(storeKey(sid));
    if (entry) entry.expires = expiresAt(session, this.now(), this.ttlMs); // ended ones are not in the cache
    cb?.();
  }

  override destroy(sid: string, cb?: Callback): void {
    this.cache.delete(storeKey(sid));
    cb?.();
  }

  /** Every live session, by store key (the IDs themselves are not kept). */
  override all(cb: Callback<Record<string, SessionData>>): void {
    const now = this.now();
    const out: Record<string, SessionData> = {};
    for (const [key, entry] of this.cache.entries()) {
      const session = entry.expires > now ? parseSession(entry.json) : undefined;
      if (session) out[key] = session;
    }
    cb(undefined, out);
  }

  override length(cb: Callback<number>): void {
    this.prune();
    cb(undefined, this.cache.size);
  }

  override clear(cb?: Callback): void {
    this.cache.clear();
    cb?.();
  }

  async listByUser(userId: number): Promise<UserSession[]> {
    const out: UserSession[] = [];
    for (const key of this.index.keysOf(userId)) {
      const entry = this.live(key); // an expired one leaves the index here
      const data = entry && parseSession(entry.json);
      if (entry && data) out.push({ key, data, expiresAt: entry.expires });
    }
    return out;
  }

  async destroyByUser(userId: number, { except }: { except?: string } = {}): Promise<number> {
    const kept = except === undefined ? undefined : storeKey(except);
    let ended = 0;
    for (const key of this.index.keysOf(userId)) {
      if (key !== kept && (await this.destroyByKey(key))) ended++;
    }
    return ended;
  }

  async destroyByKey(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.cache.delete(key);
    this.tombstones.add(key);
    return existed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
