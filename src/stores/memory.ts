import { type SessionData, Store } from 'express-session';
import { LRUCache } from 'lru-cache';
import { expiresAt, parseSession } from './session-json';
import type { Callback, SessionBackend, StoredSession } from './types';

/**
 * Sessions in this process's memory, as express-session's own MemoryStore keeps them (JSON text by
 * key), but bounded: at most maxSessions, the least recently used evicted first, each gone at its
 * expiry (ttlMs, the idle lifetime, when its cookie has none). Everything is lost when the process stops.
 */
export class MemorySessionStore extends Store implements SessionBackend {
  private readonly cache: LRUCache<string, string>;
  private readonly ttlMs: number;

  constructor({ maxSessions, ttlMs = 86_400_000 }: { maxSessions: number; ttlMs?: number }) {
    super();
    this.cache = new LRUCache<string, string>({ max: maxSessions, ttl: ttlMs });
    this.ttlMs = ttlMs;
  }

  private ttlOf(session: SessionData): number {
    return Math.max(1, expiresAt(session, Date.now(), this.ttlMs) - Date.now());
  }

  override get(key: string, cb: Callback<SessionData | null>): void {
    const json = this.cache.get(key);
    cb(undefined, json === undefined ? null : parseSession(json));
  }

  override set(key: string, session: SessionData, cb?: Callback): void {
    this.cache.set(key, JSON.stringify(session), { ttl: this.ttlOf(session) });
    cb?.();
  }

  override touch(key: string, session: SessionData, cb?: Callback): void {
    const json = this.cache.get(key);
    if (json !== undefined) this.cache.set(key, json, { ttl: this.ttlOf(session) });
    cb?.();
  }

  override destroy(key: string, cb?: Callback): void {
    this.cache.delete(key);
    cb?.();
  }

  override length(cb: Callback<number>): void {
    this.cache.purgeStale();
    cb(undefined, this.cache.size);
  }

  override clear(cb?: Callback): void {
    this.cache.clear();
    cb?.();
  }

  /** The cache's own order: most recently used first. */
  async recent(limit: number) {
    this.cache.purgeStale();
    const sessions: StoredSession[] = [];
    for (const [key, json] of this.cache.entries()) {
      if (sessions.length >= limit) break;
      const data = parseSession(json);
      if (data) sessions.push({ key, data, expiresAt: Date.now() + this.cache.getRemainingTTL(key) });
    }
    return { sessions, total: this.cache.size, approximate: false };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
