import type { Database } from '../sqlite-file';

/**
 * How a process uses the `session_locks` table: `solo`, not at all (it is the only process on the
 * file, its MemoryLock is the lock); `joining`, not yet (it waits until every other process has put
 * the keys it holds in the table); `shared`, for every key.
 */
export type LockMode = 'solo' | 'joining' | 'shared';

/** The registry: one row per process using the file's session lock (appended to its migrations). */
export const REGISTRY_TABLE = `CREATE TABLE lock_processes (
  token TEXT PRIMARY KEY, pid INTEGER NOT NULL, beat INTEGER NOT NULL, shared INTEGER NOT NULL
) WITHOUT ROWID;`;

/** Whether no process has this id any more (ESRCH); one we may not signal (EPERM) is alive. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Work a hook did inside the transaction; what it returns runs once the transaction has committed. */
type AfterCommit = () => void;

export interface RegistryOptions {
  db: Database;
  /** this process's row; unique per lock */
  token: string;
  pid: number;
  /** a row whose beat is older than this is a process gone (or frozen that long) */
  ttlMs: number;
  beatMs: number;
  now: () => number;
  /** solo → not solo: puts the keys held here and the replaced markers in the table */
  convert(now: number): AfterCommit;
  /** whether this process may leave the table (nothing live of another process in it), and the work to do so */
  goSolo(now: number): AfterCommit | undefined;
  onError(err: unknown): void;
}

interface Row {
  token: string;
  pid: number;
  beat: number;
  shared: number;
}

/**
 * The processes on one file, each with a heartbeat, so that a process alone on it needs no table
 * writes. Every change is one `BEGIN IMMEDIATE` transaction, which SQLite runs one at a time across
 * processes: a process goes solo only in a transaction that finds nobody else registered, and says so
 * (shared=0) in its row; a newcomer that registers later sees that row and waits (`joining`) until
 * the solo process's next beat, which in one synchronous transaction puts every key it holds into the
 * table and sets shared=1. A newcomer takes table locks only once every other live row has shared=1.
 * A process that has not beaten for `ttlMs` (gone, or frozen that long) is pruned, just as a lock row
 * not renewed for `ttlMs` is taken over; a process that finds itself pruned joins again.
 */
export class ProcessRegistry {
  private state: LockMode = 'joining';
  private beatAt = Number.NEGATIVE_INFINITY;
  private failing = false;
  private readonly timer: NodeJS.Timeout;
  private readonly sql;

  constructor(private readonly options: RegistryOptions) {
    const { db, beatMs, ttlMs } = options;
    if (!(beatMs > 0 && beatMs < ttlMs / 2)) throw new RangeError(`beatMs ${beatMs} must be below ttlMs / 2`);
    this.sql = {
      all: db.prepare<[], Row>('SELECT token, pid, beat, shared FROM lock_processes'),
      drop: db.prepare<[string]>('DELETE FROM lock_processes WHERE token = ?'),
      put: db.prepare<[string, number, number, number]>(
        `INSERT INTO lock_processes (token, pid, beat, shared) VALUES (?, ?, ?, ?)
         ON CONFLICT(token) DO UPDATE SET beat = excluded.beat, shared = excluded.shared`,
      ),
    };
    this.run(true); // synchronous: a failure fails the constructor, as the migration's would
    // solo, it also looks every beatMs/10 whether another connection wrote the file (data_version, a
    // read of shared memory): a newcomer's registration is acknowledged at once, not a beat later
    const written = db.prepare<[], number>('PRAGMA data_version').pluck();
    let seen = written.get();
    let tried = options.now();
    this.timer = setInterval(
      () => {
        try {
          const version = this.state === 'solo' ? written.get() : seen;
          if (version === seen && options.now() - tried < beatMs) return;
          seen = version;
          tried = options.now();
          this.run(false);
          this.failing = false;
        } catch (err) {
          if (!this.failing) options.onError(err); // once per streak; the next beat tries again
          this.failing = true;
        }
      },
      Math.max(1, Math.floor(beatMs / 10)),
    ).unref();
  }

  /** The mode; `joining` while this process's last beat is so old that the others may count it gone. */
  get mode(): LockMode {
    return this.fresh() ? this.state : 'joining';
  }

  /**
   * Joining: whether every other process has acknowledged by now, read without waiting for the next
   * beat (a plain read is one snapshot; a row with shared=1 was written with its hand-over, and no
   * process goes solo while this one's row is there). Then this process is shared.
   */
  acknowledged(): boolean {
    if (!this.fresh()) return false;
    if (this.state !== 'joining') return this.state === 'shared';
    const rows = this.sql.all.all();
    const ok = rows.some((row) => row.token === this.options.token) && rows.every((row) => row.shared === 1);
    if (ok) this.state = 'shared';
    return ok;
  }

  /** Stops the heartbeat and leaves the registry; errors ignored (the file may be closing). */
  close(): void {
    clearInterval(this.timer);
    try {
      this.sql.drop.run(this.options.token);
    } catch {}
  }

  private fresh(): boolean {
    return this.options.now() - this.beatAt < this.options.ttlMs / 2;
  }

  private run(first: boolean): void {
    const now = this.options.now();
    const { next, after } = this.options.db.transaction(() => this.step(first, now)).immediate();
    after?.();
    this.state = next;
    this.beatAt = now;
  }

  private step(first: boolean, now: number): { next: LockMode; after?: AfterCommit } {
    const { token, ttlMs, pid } = this.options;
    let registered = false;
    const others: Row[] = [];
    for (const row of this.sql.all.all()) {
      if (row.token === token) registered = true;
      else if (row.beat <= now - ttlMs || isGone(row.pid)) this.sql.drop.run(row.token);
      else others.push(row);
    }
    const change = first ? this.register(others, now) : this.next(registered, others, now);
    this.sql.put.run(token, pid, now, change.next === 'solo' ? 0 : 1);
    return change;
  }

  private register(others: Row[], now: number): { next: LockMode; after?: AfterCommit } {
    if (others.length > 0) return { next: 'joining' };
    const after = this.options.goSolo(now); // it also reads the markers of processes that have left
    return after ? { next: 'solo', after } : { next: 'shared' };
  }

  private next(registered: boolean, others: Row[], now: number): { next: LockMode; after?: AfterCommit } {
    const { state } = this;
    if (!registered) {
      // pruned as gone while frozen: rejoin like a newcomer, its keys in the table first (safe choice)
      return { next: 'joining', after: state === 'solo' ? this.options.convert(now) : undefined };
    }
    if (state === 'solo') {
      // goSolo again: a process of an older version, which never registers, shows only by its lock rows
      const stay = others.length === 0 ? this.options.goSolo(now) : undefined;
      return stay ? { next: 'solo', after: stay } : { next: 'shared', after: this.options.convert(now) };
    }
    if (state === 'joining') return { next: others.every((row) => row.shared === 1) ? 'shared' : 'joining' };
    if (others.length === 0) return this.register(others, now); // alone again: solo if the table allows
    // one went solo believing us gone (we were frozen): wait for its next beat to convert
    return { next: others.some((row) => row.shared === 0) ? 'joining' : 'shared' };
  }
}
