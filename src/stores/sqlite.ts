import { type SessionData, Store } from 'express-session';
import { whenFree } from '../sqlite/busy';
import { assertWritable, type Database, databaseError, migrate } from '../sqlite/database';
import { expiresAt, parseSession } from './session-json';
import {
  expiresMinute,
  MIGRATIONS,
  prepareStatements,
  type SessionRow,
  type Statements,
  scrubFreePages,
  sessionRow,
} from './sqlite-sql';
import type { Callback, SessionBackend } from './types';

export interface SqliteStoreOptions {
  /** an open database; its owner closes it */
  db: Database;
  /** hard cap: a new session past it evicts the one closest to expiry (least recently active) */
  maxSessions: number;
  /** idle lifetime: the expiry of a session whose cookie has none (a browser-session cookie) */
  ttlMs?: number;
  pruneIntervalMs?: number;
}

/**
 * Sessions in the SQLite file: they survive restarts, expired rows are never returned and are
 * deleted once a minute, and the row count is capped.
 */
export class SqliteSessionStore extends Store implements SessionBackend {
  readonly db: Database;
  private readonly maxSessions: number;
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;
  private count: number; // rows, kept in memory so the cap costs no COUNT(*) per insert
  private readonly sql: Statements;
  private readonly insertTx;

  constructor({ db, maxSessions, ttlMs = 86_400_000, pruneIntervalMs = 60_000 }: SqliteStoreOptions) {
    super();
    this.db = db;
    this.maxSessions = maxSessions;
    this.ttlMs = ttlMs;
    const from = migrate(db, 'sessions', MIGRATIONS);
    if (from === 1) scrubFreePages(db); // schema 1 held plain IDs: leave no copy behind
    this.sql = prepareStatements(db);
    this.insertTx = db.transaction(this.insertWithinCap);
    this.count = this.sql.rows.get()?.n ?? 0;
    this.timer = setInterval(() => {
      try {
        this.prune();
      } catch {} // busy or closed: the next tick tries again
    }, pruneIntervalMs).unref();
  }

  private run<T>(cb: Callback<T> | undefined, work: () => T): void {
    let value: T;
    try {
      value = whenFree(this.db, work);
    } catch (err) {
      cb?.(databaseError(err));
      return;
    }
    cb?.(undefined, value);
  }

  // a new session: make room past the cap, then insert
  private readonly insertWithinCap = (row: SessionRow) => {
    if (this.count >= this.maxSessions) {
      this.count -= this.sql.evict.run(this.count - this.maxSessions + 1).changes;
    }
    this.sql.insert.run(row);
    this.count++;
  };

  /** Deletes the expired rows, reading first so an idle server writes nothing; returns how many. */
  prune(now = Date.now()): number {
    if (!this.sql.expired.get(expiresMinute(now))) return 0;
    const removed = this.sql.prune.run(expiresMinute(now), now).changes;
    this.count -= removed;
    return removed;
  }

  override get(key: string, cb: Callback<SessionData | null>): void {
    this.run(cb, () => {
      const row = this.sql.get.get(key, Date.now());
      return row ? parseSession(row.data) : null; // corrupt reads as no session
    });
  }

  override set(key: string, session: SessionData, cb?: Callback): void {
    this.run(cb, () => {
      const row = sessionRow(key, session, expiresAt(session, Date.now(), this.ttlMs));
      // most saves update a row whose expiry stays in its minute, leaving the index alone
      if (this.sql.update.run(row).changes === 0 && this.sql.move.run(row).changes === 0) this.insertTx(row);
    });
  }

  override touch(key: string, session: SessionData, cb?: Callback): void {
    this.run(cb, () => {
      const now = Date.now();
      const expires = expiresAt(session, now, this.ttlMs);
      this.sql.touch.run(expires, expiresMinute(expires), key, now); // an ended session has no row
    });
  }

  override destroy(key: string, cb?: Callback): void {
    this.run(cb, () => {
      this.count -= this.sql.destroy.run(key).changes;
    });
  }

  override length(cb: Callback<number>): void {
    this.run(cb, () => this.sql.length.get(Date.now())?.n ?? 0);
  }

  override clear(cb?: Callback): void {
    this.run(cb, () => {
      this.sql.clear.run();
      this.count = 0;
    });
  }

  async recent(limit: number) {
    return whenFree(this.db, () => {
      const now = Date.now();
      const sessions = this.sql.recent.all(now, limit).flatMap(({ sid, data, expires }) => {
        const parsed = parseSession(data);
        return parsed ? [{ key: sid, data: parsed, expiresAt: expires }] : [];
      });
      return { sessions, total: this.sql.length.get(now)?.n ?? 0, approximate: false };
    });
  }

  async ping(): Promise<void> {
    try {
      whenFree(this.db, () => assertWritable(this.db)); // ready means sessions can be saved, not just read
    } catch (err) {
      throw databaseError(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
