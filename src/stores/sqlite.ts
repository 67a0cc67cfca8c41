import { type SessionData, Store } from 'express-session';
import { assertWritable, type Database, databaseError, migrate, openDatabase } from '../sqlite-file';
import { storeKey } from './key';
import { expiresAt, justWritten, markWritten, parseSession } from './record';
import { endSessionByKey, endUserSessions, listUserSessions } from './sqlite-index';
import {
  expiresMinute,
  MIGRATIONS,
  prepareStatements,
  type SessionRow,
  type Statements,
  scrubFreePages,
  sessionRow,
} from './sqlite-sql';
import type { Callback, SessionStore, UserSession } from './types';

export interface SqliteStoreOptions {
  /** database file; ignored when db is given */
  path?: string;
  /** an already open database; its owner closes it */
  db?: Database;
  /** hard cap: a new session past it evicts the one closest to expiry (least recently used) */
  maxSessions: number;
  /** idle lifetime: the expiry of a session whose cookie has none (a browser-session cookie) */
  ttlMs?: number;
  /** how long a key ended by destroyByKey/destroyByUser refuses writes (the app passes the lock's ttl) */
  tombstoneMs?: number;
  now?: () => number;
  pruneIntervalMs?: number;
}

/**
 * A persistent session store in an embedded SQLite file: sessions survive restarts, expired rows
 * are never returned and are deleted on an unref'd timer, and the row count is capped. Rows are keyed
 * by storeKey(sid), never the ID, and carry an indexed user_id (NULL for anonymous sessions).
 */
export class SqliteSessionStore extends Store implements SessionStore {
  readonly db: Database;
  private readonly ownsDb: boolean;
  private readonly maxSessions: number;
  private readonly ttlMs: number;
  private readonly tombstoneMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private count: number; // rows, kept in memory so the cap costs no COUNT(*) per insert
  private readonly sql: Statements;
  private readonly insertTx;

  constructor(options: SqliteStoreOptions) {
    super();
    const { path, db, now = Date.now, pruneIntervalMs = 60_000 } = options;
    if (!db && !path) throw new Error('SqliteSessionStore: path or db is required');
    this.db = db ?? openDatabase(path as string);
    this.ownsDb = !db;
    this.maxSessions = options.maxSessions;
    this.ttlMs = options.ttlMs ?? 86_400_000;
    this.tombstoneMs = options.tombstoneMs ?? 10_000;
    this.now = now;
    const from = migrate(this.db, 'sessions', MIGRATIONS);
    if (from === 1) scrubFreePages(this.db); // schema 1 held plain IDs: leave no copy behind
    this.sql = prepareStatements(this.db);
    this.insertTx = this.db.transaction(this.insertWithinCap);
    this.count = this.sql.rows.get()?.n ?? 0;
    this.timer = setInterval(() => {
      try {
        this.prune();
      } catch {} // a busy or closed database: the next tick tries again
    }, pruneIntervalMs).unref();
  }

  private run<T>(cb: Callback<T> | undefined, work: () => T): void {
    let value: T;
    try {
      value = work();
    } catch (err) {
      cb?.(databaseError(err));
      return;
    }
    cb?.(undefined, value);
  }

  // one transaction: update in place (another process may have inserted it meanwhile), or make room
  // and insert, unless the key was revoked moments ago (a late write must not bring it back)
  private readonly insertWithinCap = (row: SessionRow) => {
    if (this.sql.move.run(row).changes > 0) return;
    if (this.sql.tombstoned.get(row.key, this.now())) return;
    if (this.count >= this.maxSessions) {
      this.count -= this.sql.evict.run(this.count - this.maxSessions + 1).changes;
    }
    this.sql.insert.run(row);
    this.count++;
  };

  /** Deletes every expired row and tombstone and recounts (another process may share the file); returns how many rows. */
  prune(): number {
    const now = this.now();
    const removed = this.sql.prune.run(expiresMinute(now), now).changes;
    this.sql.pruneTombstones.run(now);
    this.count = this.sql.rows.get()?.n ?? 0;
    return removed;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.run(cb, () => {
      const row = this.sql.get.get(storeKey(sid), this.now());
      return row ? (parseSession(row.data) ?? null) : null; // corrupt reads as no session
    });
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    this.run(cb, () => {
      const row = sessionRow(storeKey(sid), session, expiresAt(session, this.now(), this.ttlMs));
      // most saves update a row that exists, its expiry in the same minute: one statement that leaves
      // the index alone; a new minute takes a second; a new session also needs the cap, in a transaction
      if (this.sql.update.run(row).changes === 0 && this.sql.move.run(row).changes === 0) this.insertTx(row);
      markWritten(session);
    });
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    if (justWritten(session)) {
      cb?.();
      return;
    }
    this.run(cb, () => {
      const now = this.now();
      const [expires, key] = [expiresAt(session, now, this.ttlMs), storeKey(sid)];
      const minute = expiresMinute(expires);
      // a revoked key has no row, so a late touch changes nothing; a new minute moves the index entry
      if (this.sql.touch.run(expires, key, now, minute).changes === 0)
        this.sql.touchMove.run(expires, minute, key, now);
    });
  }

  override destroy(sid: string, cb?: Callback): void {
    this.run(cb, () => {
      this.count -= this.sql.destroy.run(storeKey(sid)).changes; // logout: the ID is gone, no tombstone
    });
  }

  override all(cb: Callback<Record<string, SessionData>>): void {
    this.run(cb, () => {
      const out: Record<string, SessionData> = {};
      for (const row of this.sql.all.iterate(this.now())) {
        const session = parseSession(row.data);
        if (session) out[row.sid] = session; // skip a corrupt row, keep the rest
      }
      return out;
    });
  }

  override length(cb: Callback<number>): void {
    this.run(cb, () => this.sql.length.get(this.now())?.n ?? 0);
  }

  override clear(cb?: Callback): void {
    this.run(cb, () => {
      this.sql.clear.run();
      this.count = 0;
    });
  }

  async listByUser(userId: number): Promise<UserSession[]> {
    return this.query(() => listUserSessions(this.sql, userId, this.now()));
  }

  async destroyByUser(userId: number, { except }: { except?: string } = {}): Promise<number> {
    const exceptKey = except === undefined ? null : storeKey(except);
    const now = this.now();
    const { deleted, live } = await this.query(() =>
      endUserSessions(this.sql, userId, exceptKey, now, now + this.tombstoneMs),
    );
    this.count -= deleted;
    return live;
  }

  async destroyByKey(key: string): Promise<boolean> {
    const now = this.now();
    const { deleted, live } = await this.query(() =>
      endSessionByKey(this.sql, key, now, now + this.tombstoneMs),
    );
    this.count -= deleted;
    return live;
  }

  /** Runs one synchronous unit of work in a transaction, turning database errors into store errors. */
  private async query<T>(work: () => T): Promise<T> {
    try {
      return this.db.transaction(work)();
    } catch (err) {
      throw databaseError(err);
    }
  }

  async ping(): Promise<void> {
    try {
      assertWritable(this.db); // readiness means sessions can be saved, not just read
    } catch (err) {
      throw databaseError(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
