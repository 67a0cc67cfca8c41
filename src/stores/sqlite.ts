import { type SessionData, Store } from 'express-session';
import { assertWritable, type Database, migrate, openDatabase } from '../db';
import { StoreUnavailableError } from '../errors';
import { expiresAt, justWritten, markWritten, parseSession } from './expiry';
import { MIGRATIONS, prepareStatements, type Statements } from './sqlite-sql';
import type { Callback, SessionStore } from './types';

export interface SqliteStoreOptions {
  /** database file; ignored when db is given */
  path?: string;
  /** an already open database; its owner closes it */
  db?: Database;
  /** hard cap: a new session past it evicts the one closest to expiry (least recently used) */
  maxSessions: number;
  now?: () => number;
  pruneIntervalMs?: number;
}

// a busy, read-only, unopenable, failing or full file: the store is unavailable, not the code broken
const UNAVAILABLE = /^SQLITE_(BUSY|READONLY|CANTOPEN|IOERR|FULL)/;

/** A database that cannot serve is a store that is unavailable for now (503); anything else is a real failure (500). */
function storeError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return new StoreUnavailableError(code);
  if (err instanceof TypeError && /not open/.test(err.message)) return new StoreUnavailableError('closed');
  return err;
}

/**
 * A persistent session store in an embedded SQLite file: sessions survive restarts, expired rows
 * are never returned and are deleted on an unref'd timer, and the row count is capped.
 */
export class SqliteSessionStore extends Store implements SessionStore {
  readonly db: Database;
  private readonly ownsDb: boolean;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private count: number; // rows, kept in memory so the cap costs no COUNT(*) per insert
  private readonly sql: Statements;
  private readonly insertTx;

  constructor({ path, db, maxSessions, now = Date.now, pruneIntervalMs = 60_000 }: SqliteStoreOptions) {
    super();
    if (!db && !path) throw new Error('SqliteSessionStore: path or db is required');
    this.db = db ?? openDatabase(path as string);
    this.ownsDb = !db;
    this.maxSessions = maxSessions;
    this.now = now;
    migrate(this.db, 'sessions', MIGRATIONS);
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
      cb?.(storeError(err));
      return;
    }
    cb?.(undefined, value);
  }

  // one transaction: update in place (another process may have inserted it meanwhile), or make room and insert
  private readonly insertWithinCap = (sid: string, data: string, expires: number) => {
    if (this.sql.update.run(data, expires, sid).changes > 0) return;
    if (this.count >= this.maxSessions) {
      this.count -= this.sql.evict.run(this.count - this.maxSessions + 1).changes;
    }
    this.sql.insert.run(sid, data, expires);
    this.count++;
  };

  /** Deletes every expired row and recounts (another process may share the file); returns how many. */
  prune(): number {
    const removed = this.sql.prune.run(this.now()).changes;
    this.count = this.sql.rows.get()?.n ?? 0;
    return removed;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.run(cb, () => {
      const row = this.sql.get.get(sid, this.now());
      return row ? (parseSession(row.data) ?? null) : null; // corrupt reads as no session
    });
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    this.run(cb, () => {
      const expires = expiresAt(session, this.now());
      const data = JSON.stringify(session);
      // most saves update a row that exists: one statement; a new session also needs the cap, in a transaction
      if (this.sql.update.run(data, expires, sid).changes === 0) this.insertTx(sid, data, expires);
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
      this.sql.touch.run(expiresAt(session, now), sid, now);
    });
  }

  override destroy(sid: string, cb?: Callback): void {
    this.run(cb, () => {
      this.count -= this.sql.destroy.run(sid).changes;
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

  async ping(): Promise<void> {
    try {
      assertWritable(this.db); // readiness means sessions can be saved, not just read
    } catch (err) {
      throw storeError(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
