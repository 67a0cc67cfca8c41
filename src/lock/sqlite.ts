import type { Logger } from '../logger';
import { type Database, databaseError, migrate } from '../sqlite-file';
import { OwnerTokens, pollUntilTaken, renewEvery, renewedRelease } from './holding';
import { MemoryLock } from './memory';
import { REPLACED_FOR_MS, REPLACED_MARKER } from './replaced-sessions';
import { isGone, type LockMode, ProcessRegistry } from './sqlite-registry';
import { MIGRATIONS, prepare } from './sqlite-statements';
import { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

export interface SqliteLockOptions {
  /** the session store's database: every process on the file sees the same lock rows */
  db: Database;
  /** longest time a request waits for the key */
  waitMs: number;
  /** most requests queued per key in this process */
  maxWaiters: number;
  /** a lock not renewed for this long expires: how long a frozen holder blocks its session */
  ttlMs: number;
  /** how often this process beats in the registry (`src/lock/sqlite-registry.ts`); min(250, ttl/4) */
  beatMs?: number;
  pid?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * A session lock shared by every process on one SQLite file: a row per held key (the store key, never
 * the session ID) with an owner token, the owner's pid and an expiry. Requests of one session in this
 * process first queue in a MemoryLock, so only the head of that queue polls the table. A row whose
 * process has died is taken over at once; a live holder renews its row every ttl/3.
 *
 * Solo mode: while this is the only process registered on the file (`ProcessRegistry`), the
 * MemoryLock alone is the lock and the table is not written. When another registers, this process's
 * next beat puts every key held here into the table (each owned by its holder, who deletes it on
 * release) and its replaced markers, in the same synchronous transaction that acknowledges the
 * newcomer; the newcomer takes no table lock before every live process has acknowledged.
 */
export class SqliteLock implements SessionLock {
  private readonly local: MemoryLock;
  private readonly sql: ReturnType<typeof prepare>;
  private readonly pid: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly registry: ProcessRegistry;
  private readonly tokens = new OwnerTokens(); // its prefix is also this process's registry token
  private foreignUntil = Number.NEGATIVE_INFINITY;
  // the keys whose holder here has, or is polling for, a table row: one through the table, or one a
  // hand-over gave a row (then renewed by `renewal`); a hand-over leaves these alone
  private readonly rows = new Map<string, { token: string; renewal?: NodeJS.Timeout }>();

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
    this.registry = new ProcessRegistry({
      db: options.db,
      token: this.tokens.prefix,
      pid: this.pid,
      ttlMs: options.ttlMs,
      beatMs: options.beatMs ?? Math.min(250, Math.floor(options.ttlMs / 4)),
      now: this.now,
      convert: (now) => this.handOver(now),
      goSolo: (now) => this.leaveTable(now),
      onError: (err) => this.options.logger?.warn({ err }, 'session lock heartbeat failed; retrying'),
    });
  }

  /** `solo`: no table writes; `joining`: waiting for the other processes; `shared`: the table. */
  get mode(): LockMode {
    return this.registry.mode;
  }

  tryAcquire(key: string): Release | undefined {
    if (this.registry.mode !== 'solo') return undefined;
    const releaseLocal = this.local.tryAcquire(key);
    return releaseLocal && this.soloRelease(key, releaseLocal);
  }

  async acquire(key: string): Promise<Release> {
    const deadline = Date.now() + this.options.waitMs;
    const releaseLocal = await this.local.acquire(key);
    if (this.registry.mode === 'solo') return this.soloRelease(key, releaseLocal);
    const token = this.tokens.next();
    this.rows.set(key, { token });
    try {
      // once on this path, the table even if the others leave meanwhile: it also has their markers
      await pollUntilTaken(
        () => (this.registry.mode !== 'joining' || this.registry.acknowledged()) && this.tryTake(key, token),
        deadline,
        () => this.busy(),
      );
    } catch (err) {
      this.rows.delete(key);
      releaseLocal(err instanceof SessionReplacedError ? { replaced: true } : undefined); // local waiters too
      throw databaseError(err);
    }
    return renewedRelease(
      this.options.ttlMs,
      () => this.extend(key, token),
      (outcome) => {
        this.rows.delete(key);
        this.giveBack(key, token, outcome);
      },
      releaseLocal,
    );
  }

  /** Stops the timers and leaves the registry; the database belongs to the store. */
  close(): void {
    clearInterval(this.timer);
    this.registry.close();
  }

  /** A key held in solo mode: the local lock, and the row a hand-over may have given it since. */
  private soloRelease(key: string, releaseLocal: Release): Release {
    let released = false;
    return (outcome) => {
      if (released) return;
      released = true;
      const row = this.rows.get(key); // only a hand-over's: this holder never polled the table
      if (row) {
        this.rows.delete(key);
        clearInterval(row.renewal);
        this.giveBack(key, row.token, outcome);
      }
      releaseLocal(outcome);
    };
  }

  /** Inside the registry's transaction: a row for every key held here without one, then the markers. */
  private handOver(now: number): () => void {
    const claimed: [string, string][] = [];
    for (const key of this.local.heldKeys()) {
      if (this.rows.has(key)) continue;
      const token = this.tokens.next();
      this.sql.claim.run(key, token, this.pid, now + this.options.ttlMs);
      claimed.push([key, token]);
    }
    for (const [key, until] of this.local.replacedKeys()) this.sql.mark.run(key, this.pid, until);
    return () => {
      for (const [key, token] of claimed) {
        const renewal = renewEvery(this.options.ttlMs, () => this.extend(key, token));
        this.rows.set(key, { token, renewal });
      }
    };
  }

  /** Inside the registry's transaction: solo only if no live process's row is in the table. */
  private leaveTable(now: number): (() => void) | undefined {
    const mine = `${this.tokens.prefix}.`;
    const pids = this.sql.foreign.all(now, mine.length, mine);
    // live rows of a process that is not registered (an older version of this app) keep this one on
    // the table while they show up, and for one lock lifetime after the last of them
    if (pids.some(({ pid }) => !isGone(pid))) this.foreignUntil = now + this.options.ttlMs;
    if (now < this.foreignUntil) return undefined;
    // a login just done by a process that has since left still turns its old cookie away here
    const markers = this.sql.markers.all(now);
    return () => {
      for (const { key, expires } of markers) this.local.markReplaced(key, expires);
    };
  }

  private giveBack(key: string, token: string, outcome?: { replaced: boolean }): void {
    try {
      if (outcome?.replaced) this.sql.replace.run(this.now() + REPLACED_FOR_MS, key, token);
      else this.sql.release.run(key, token);
    } catch (err) {
      this.options.logger?.warn({ err }, 'session lock release failed; it expires by itself');
    }
  }

  private busy(): SessionBusyError {
    const { waitMs } = this.options;
    return this.registry.mode === 'joining'
      ? new SessionBusyError(`other processes did not share the lock table within ${waitMs} ms`)
      : new SessionBusyError(`held by another process past ${waitMs} ms`);
  }

  private tryTake(key: string, owner: string): boolean {
    const now = this.now();
    const expires = now + this.options.ttlMs;
    if (this.sql.take.run({ key, owner, pid: this.pid, expires, now }).changes === 1) return true;
    const holder = this.sql.holder.get(key);
    if (!holder) return false; // released in between: the next poll finds it free
    if (holder.owner === REPLACED_MARKER) throw new SessionReplacedError();
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
