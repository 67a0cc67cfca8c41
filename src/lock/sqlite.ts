import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import { type Database, databaseError, type Migration, migrate } from '../sqlite-file';
import { pollUntilTaken, renewedRelease } from './holding';
import { MemoryLock } from './memory';
import { REPLACED_FOR_MS } from './replaced-sessions';
import { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

const MIGRATIONS: Migration[] = [
  `CREATE TABLE session_locks (
     key TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, expires INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];
// a login moved the session to a new ID: the row keeps this owner, which no token can equal, so every
// process turns the old ID away (SessionReplacedError) until it expires
const REPLACED = 'replaced-by-login';

export interface SqliteLockOptions {
  /** the session store's database: every process on the file sees the same lock rows */
  db: Database;
  /** longest time a request waits for the key */
  waitMs: number;
  /** most requests queued per key in this process */
  maxWaiters: number;
  /** a lock not renewed for this long expires: how long a frozen holder blocks its session */
  ttlMs: number;
  pid?: number;
  now?: () => number;
  logger?: Logger;
}

function prepare(db: Database) {
  return {
    // one statement: insert, or overwrite a row that has expired; 0 changes means someone holds it
    take: db.prepare<{ key: string; owner: string; pid: number; expires: number; now: number }>(
      `INSERT INTO session_locks (key, owner, pid, expires) VALUES (@key, @owner, @pid, @expires)
       ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, expires = excluded.expires
       WHERE expires <= @now`,
    ),
    holder: db.prepare<[string], { owner: string; pid: number }>(
      'SELECT owner, pid FROM session_locks WHERE key = ?',
    ),
    takeOver: db.prepare<[string, number, number, string, string]>(
      'UPDATE session_locks SET owner = ?, pid = ?, expires = ? WHERE key = ? AND owner = ?',
    ),
    extend: db.prepare<[number, string, string]>(
      'UPDATE session_locks SET expires = ? WHERE key = ? AND owner = ?',
    ),
    release: db.prepare<[string, string]>('DELETE FROM session_locks WHERE key = ? AND owner = ?'),
    replace: db.prepare<[number, string, string]>(
      `UPDATE session_locks SET owner = '${REPLACED}', expires = ? WHERE key = ? AND owner = ?`,
    ),
    prune: db.prepare<[number]>('DELETE FROM session_locks WHERE expires <= ?'),
  };
}

/** Whether no process has this id any more (ESRCH); one we may not signal (EPERM) is alive. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * A session lock shared by every process on one SQLite file: a row per held key (the store key, never
 * the session ID) with an owner token, the owner's pid and an expiry. Requests of one session in this
 * process first queue in a MemoryLock, so only the head of that queue polls the table. A row whose
 * process has died is taken over at once; a live holder renews its row every ttl/3.
 */
export class SqliteLock implements SessionLock {
  private readonly local: MemoryLock;
  private readonly sql: ReturnType<typeof prepare>;
  private readonly pid: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  // owner tokens only need to differ between holders: a random prefix per lock, then a counter
  // (one randomBytes per process, not one per request)
  private readonly tokenPrefix = randomBytes(16).toString('base64url');
  private taken = 0;

  constructor(private readonly options: SqliteLockOptions) {
    this.local = new MemoryLock(options);
    this.pid = options.pid ?? process.pid;
    this.now = options.now ?? Date.now;
    migrate(options.db, 'session_locks', MIGRATIONS);
    this.sql = prepare(options.db);
    // released locks delete their rows; this clears replaced markers and rows of crashed holders
    this.timer = setInterval(() => {
      try {
        this.sql.prune.run(this.now());
      } catch {} // busy or closed: the next tick tries again
    }, 60_000).unref();
  }

  async acquire(key: string): Promise<Release> {
    const deadline = Date.now() + this.options.waitMs;
    const releaseLocal = await this.local.acquire(key);
    const token = `${this.tokenPrefix}.${++this.taken}`;
    try {
      await this.take(key, token, deadline);
    } catch (err) {
      releaseLocal(err instanceof SessionReplacedError ? { replaced: true } : undefined); // local waiters too
      throw databaseError(err);
    }
    return renewedRelease(
      this.options.ttlMs,
      () => this.extend(key, token),
      (outcome) => {
        try {
          if (outcome?.replaced) this.sql.replace.run(this.now() + REPLACED_FOR_MS, key, token);
          else this.sql.release.run(key, token);
        } catch (err) {
          this.options.logger?.warn({ err }, 'session lock release failed; it expires by itself');
        }
      },
      releaseLocal,
    );
  }

  /** Stops the pruning timer; the database belongs to the store. */
  close(): void {
    clearInterval(this.timer);
  }

  private take(key: string, token: string, deadline: number): Promise<void> {
    return pollUntilTaken(
      () => this.tryTake(key, token),
      deadline,
      () => new SessionBusyError(`held by another process past ${this.options.waitMs} ms`),
    );
  }

  private tryTake(key: string, owner: string): boolean {
    const now = this.now();
    const expires = now + this.options.ttlMs;
    if (this.sql.take.run({ key, owner, pid: this.pid, expires, now }).changes === 1) return true;
    const holder = this.sql.holder.get(key);
    if (!holder) return false; // released in between: the next poll finds it free
    if (holder.owner === REPLACED) throw new SessionReplacedError();
    if (holder.pid === this.pid || !isGone(holder.pid)) return false;
    // its process is gone, so nothing will release or renew it: do not wait out the expiry
    return this.sql.takeOver.run(owner, this.pid, expires, key, holder.owner).changes === 1;
  }

  private extend(key: string, token: string): void {
    try {
      if (this.sql.extend.run(this.now() + this.options.ttlMs, key, token).changes !== 1)
        this.options.logger?.warn('session lock expired while its request still ran');
    } catch (err) {
      this.options.logger?.warn({ err }, 'session lock renewal failed');
    }
  }
}
