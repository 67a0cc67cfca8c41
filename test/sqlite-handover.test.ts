import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { SessionBusyError, SessionReplacedError } from '../src/lock';
import { SqliteLock } from '../src/lock/sqlite';
import { type Database, openDatabase } from '../src/sqlite-file';
import { storeKey } from '../src/stores/key';
import { tempDir } from './support/files';

/** One file; each `open` is another process on it: its own connection and its own lock. */
function oneFile() {
  const path = join(tempDir('sqlite-handover-'), 'app.db');
  return (waitMs = 5000): { db: Database; lock: SqliteLock } => {
    const db = openDatabase(path);
    const lock = new SqliteLock({ db, waitMs, maxWaiters: 10, ttlMs: 60_000, beatMs: 10 });
    onTestFinished(() => void db.close());
    onTestFinished(() => lock.close());
    return { db, lock };
  };
}

const lockRows = (db: Database) =>
  db.prepare<[], { key: string; owner: string }>('SELECT key, owner FROM session_locks').all();

const becomes = (lock: SqliteLock, mode: SqliteLock['mode']) =>
  vi.waitFor(() => expect(lock.mode).toBe(mode), { timeout: 2000, interval: 5 });

const key = storeKey('some-session-id');
const other = storeKey('another-session-id');

describe('SqliteLock alone on its file, and the hand-over when another process comes', () => {
  it('writes no lock row while it is the only process, and takes a free key without a promise', async () => {
    const open = oneFile();
    const a = open();

    const held = a.lock.tryAcquire(key);
    const waited = await a.lock.acquire(other);

    expect(a.lock.mode).toBe('solo');
    expect(held).toBeTypeOf('function');
    expect(lockRows(a.db)).toEqual([]);
    held?.();
    waited();
    expect(lockRows(a.db)).toEqual([]);
  });

  it('keeps a newcomer waiting for a key held in solo mode until its holder releases it', async () => {
    const open = oneFile();
    const a = open();
    const held = a.lock.tryAcquire(key); // solo: in the MemoryLock only
    const queued = a.lock.acquire(key); // and one waiting behind it here
    const b = open(300);
    await becomes(b.lock, 'shared');

    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionBusyError);
    expect(lockRows(b.db)).toEqual([{ key, owner: expect.any(String) }]); // the hand-over's row
    held?.();
    const next = await queued; // through the table now
    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionBusyError);
    next();
    const granted = await b.lock.acquire(key);

    granted();
    expect(lockRows(a.db)).toEqual([]);
  });

  it('turns the old ID of a login done in solo mode away in a newcomer', async () => {
    const open = oneFile();
    const a = open();
    a.lock.tryAcquire(key)?.({ replaced: true });

    const b = open();
    await becomes(b.lock, 'shared');

    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionReplacedError);
    await expect(a.lock.acquire(key)).rejects.toBeInstanceOf(SessionReplacedError);
  });

  it('goes back to solo once the other process leaves, still turning away an ID it replaced', async () => {
    const open = oneFile();
    const a = open();
    const b = open();
    await becomes(b.lock, 'shared');
    (await b.lock.acquire(other))({ replaced: true }); // a login on b just before it leaves

    b.lock.close();
    await becomes(a.lock, 'solo');

    const held = a.lock.tryAcquire(key);
    expect(held).toBeTypeOf('function');
    expect(lockRows(a.db)).toEqual([{ key: other, owner: 'replaced-by-login' }]); // b's marker only
    held?.();
    expect(a.lock.tryAcquire(other)).toBeUndefined();
    await expect(a.lock.acquire(other)).rejects.toBeInstanceOf(SessionReplacedError);
  });

  it('answers 503 within the wait when another process never acknowledges, and never hangs', async () => {
    const open = oneFile();
    const a = open();
    // a process that registered, went solo and stopped beating moments ago: alive, beat still fresh
    a.db
      .prepare('INSERT INTO lock_processes (token, pid, beat, shared) VALUES (?, ?, ?, 0)')
      .run('stopped', process.ppid, Date.now());
    a.lock.close();
    const b = open(200);

    const started = performance.now();
    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionBusyError);

    expect(performance.now() - started).toBeLessThan(1000);
    expect(b.lock.mode).toBe('joining');
    expect(b.lock.tryAcquire(key)).toBeUndefined();
    expect(lockRows(b.db)).toEqual([]);
  });

  it('moves to the table when a process that never registers (an older version) holds a lock row', async () => {
    const open = oneFile();
    const a = open(300);
    const old = openDatabase(a.db.name); // a connection only: the older code takes rows, never registers
    onTestFinished(() => void old.close());
    expect(a.lock.mode).toBe('solo');

    old
      .prepare('INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, ?, ?, ?)')
      .run(key, 'token-of-older-code.1', process.ppid, Date.now() + 60_000); // a live process's row
    await becomes(a.lock, 'shared');

    await expect(a.lock.acquire(key)).rejects.toBeInstanceOf(SessionBusyError); // its row is respected
    old.prepare('DELETE FROM session_locks').run();
    const granted = await a.lock.acquire(key);
    granted();
    expect(a.lock.mode).toBe('shared'); // and it stays on the table for a lock lifetime after
  });
});
