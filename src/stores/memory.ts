import { type SessionData, Store } from 'express-session';
import { LRUCache } from 'lru-cache';
import { expiresAt, justWritten, markWritten, parseSession } from './expiry';
import type { Callback, SessionStore } from './types';

interface Entry {
  json: string;
  expires: number;
}

export interface MemoryStoreOptions {
  /** hard cap: past it the least recently used session is evicted */
  maxSessions: number;
  now?: () => number;
  pruneIntervalMs?: number;
}

/**
 * A bounded, volatile session store: at most maxSessions, least recently used evicted first,
 * expired ones pruned on a timer. Everything is gone when the process stops.
 */
export class MemorySessionStore extends Store implements SessionStore {
  private readonly cache: LRUCache<string, Entry>;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor({ maxSessions, now = Date.now, pruneIntervalMs = 60_000 }: MemoryStoreOptions) {
    super();
    this.cache = new LRUCache({ max: maxSessions });
    this.now = now;
    this.timer = setInterval(() => this.prune(), pruneIntervalMs).unref();
  }

  private live(sid: string): Entry | undefined {
    const entry = this.cache.get(sid);
    if (entry && entry.expires <= this.now()) {
      this.cache.delete(sid);
      return undefined;
    }
    return entry;
  }

  /** Deletes every expired session; returns how many. */
  prune(): number {
    const now = this.now();
    let removed = 0;
    for (const [sid, entry] of this.cache.entries()) {
      if (entry.expires <= now && this.cache.delete(sid)) removed++;
    }
    return removed;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    const entry = this.live(sid);
    cb(undefined, entry ? (parseSession(entry.json) ?? null) : null);
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    this.cache.set(sid, { json: JSON.stringify(session), expires: expiresAt(session, this.now()) });
    markWritten(session);
    cb?.();
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    const entry = justWritten(session) ? undefined : this.live(sid);
    if (entry) entry.expires = expiresAt(session, this.now());
    cb?.();
  }

  override destroy(sid: string, cb?: Callback): void {
    this.cache.delete(sid);
    cb?.();
  }

  override all(cb: Callback<Record<string, SessionData>>): void {
    const now = this.now();
    const out: Record<string, SessionData> = {};
    for (const [sid, entry] of this.cache.entries()) {
      const session = entry.expires > now ? parseSession(entry.json) : undefined;
      if (session) out[sid] = session;
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

  // the per-user index is being built store by store; until then these refuse loudly
  async listByUser(): Promise<never> {
    throw new Error('listByUser: not built yet');
  }

  async destroyByUser(): Promise<never> {
    throw new Error('destroyByUser: not built yet');
  }

  async destroyByKey(): Promise<never> {
    throw new Error('destroyByKey: not built yet');
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
