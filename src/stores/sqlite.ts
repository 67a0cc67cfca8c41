import { type SessionData, Store } from 'express-session';
import { whenFree } from '../sqlite/busy';
import { assertWritable, type Database, databaseError, migrate } from '../sqlite/database';
import { expiresAt, parseSession } from './session-json';
import { expiresMinute, MIGRATIONS, prepareStatements, type SessionRow } from './sqlite-sql';
import type { Callback, SessionBackend } from './types';

const PRUNE_EVERY_MS = 60_000;

/** ttlMs: the lifetime of a session whose cookie has no expiry (a browser-session cookie) */
type SqliteStoreOptions = { db: Database; maxSessions: number; ttlMs?: number };

/**
 * Sessions in the SQLite file (its owner opens and closes it): expired rows are never returned and are
 * deleted once a minute, and past maxSessions a new session evicts the one closest to expiry (the
 * least recently active).
 */
export class SqliteSessionStore extends Store implements SessionBackend {
  readonly db: Database;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly ttlMs: number;
  private readonly insert: (row: SessionRow) => void;
  private count: number; // rows, kept in memory so the cap costs no COUNT(*) per insert
  private readonly timer: NodeJS.Timeout;

  constructor({ db, maxSessions, ttlMs = 86_400_000 }: SqliteStoreOptions) {
    super();
    this.db = db;
    this.ttlMs = ttlMs;
    if (migrate(db, 'sessions', MIGRATIONS) === 1) {
      // schema 1 held plain IDs: rebuild the file from live rows and empty the WAL, leaving no copy
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    const sql = prepareStatements(db);
    this.sql = sql;
    this.count = sql.rows.get()?.n ?? 0;
    // a new session: make room past the cap, then insert
    this.insert = db.transaction((row: SessionRow) => {
      if (this.count >= maxSessions) this.count -= sql.evict.run(this.count - maxSessions + 1).changes;
      sql.insert.run(row);
      this.count++;
    });
    this.timer = setInterval(() => {
      try {
        this.prune();
      } catch {} // busy or closed: the next tick tries again
    }, PRUNE_EVERY_MS).unref();
  }

  /** Runs work on the file unless it was busy moments ago; a file that cannot serve is a 503. */
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
      const expires = expiresAt(session, Date.now(), this.ttlMs);
      const row = { key, data: JSON.stringify(session), expires, minute: expiresMinute(expires) };
      // most saves update a row whose expiry stays in its minute, leaving the index alone
      if (this.sql.update.run(row).changes === 0 && this.sql.move.run(row).changes === 0) this.insert(row);
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
