import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { SessionBusyError, SessionReplacedError } from '../src/lock';
import { SqliteLock } from '../src/lock/sqlite';
import { type Database, openDatabase } from '../src/sqlite-file';
import { storeKey } from '../src/stores/key';
import { tempDir } from './support/files';

/**
 * Two connections to one file, as two processes would have, each with its own lock, once both use the
 * lock table (alone on a file a lock writes no rows: test/sqlite-handover.test.ts).
 */
async function twoProcesses(waitMs = 5000) {
  const dir = tempDir('sqlite-lock-');
  const open = (): { db: Database; lock: SqliteLock } => {
    const db = openDatabase(join(dir, 'app.db'));
    const lock = new SqliteLock({ db, waitMs, maxWaiters: 10, ttlMs: 60_000, beatMs: 10 });
    onTestFinished(() => void db.close());
    onTestFinished(() => lock.close());
    return { db, lock };
  };
  const both = { a: open(), b: open() };
  await vi.waitFor(() => expect([both.a.lock.mode, both.b.lock.mode]).toEqual(['shared', 'shared']));
  return both;
}

const lockRows = (db: Database) =>
  db
    .prepare<[], { key: string; owner: string; pid: number }>('SELECT key, owner, pid FROM session_locks')
    .all();

/** The pid of a process that has just exited: no process has it now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid as number;
}

const key = storeKey('some-session-id');

describe('SqliteLock', () => {
  it('keeps a key held by one connection from another until it is released', async () => {
    const { a, b } = await twoProcesses(100);
    const release = await a.lock.acquire(key);

    const refused = b.lock.acquire(key);
    await expect(refused).rejects.toBeInstanceOf(SessionBusyError);
    release();
    const granted = await b.lock.acquire(key);

    granted();
    expect(lockRows(a.db)).toEqual([]);
  });

  it('stores the key it is given, with its owner and pid, and never anything else', async () => {
    const { a } = await twoProcesses();

    const release = await a.lock.acquire(key);
    const rows = lockRows(a.db);
    release();

    expect(rows).toEqual([{ key, owner: expect.any(String), pid: process.pid }]);
  });

  it('takes over at once a key whose holder process is gone, long before its expiry', async () => {
    const { a, b } = await twoProcesses(200);
    const pid = await deadPid();
    a.db
      .prepare('INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, ?, ?, ?)')
      .run(key, 'crashed-owner', pid, Date.now() + 600_000);

    const release = await b.lock.acquire(key);

    expect(lockRows(a.db)).toEqual([
      { key, owner: expect.not.stringMatching('crashed-owner'), pid: process.pid },
    ]);
    release();
  });

  it('waits for a holder whose process is alive, however long ago it took the key', async () => {
    const { a, b } = await twoProcesses(100);
    a.db
      .prepare('INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, ?, ?, ?)')
      .run(key, 'busy-owner', process.ppid, Date.now() + 600_000);

    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionBusyError);
  });

  it('takes over an expired row even when its process is alive', async () => {
    const { a, b } = await twoProcesses(100);
    a.db
      .prepare('INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, ?, ?, ?)')
      .run(key, 'frozen-owner', process.ppid, Date.now() - 1);

    const release = await b.lock.acquire(key);

    release();
    expect(lockRows(a.db)).toEqual([]);
  });

  it('turns away the replaced ID in every process after a login moved it', async () => {
    const { a, b } = await twoProcesses();
    const release = await a.lock.acquire(key);

    release({ replaced: true });

    await expect(b.lock.acquire(key)).rejects.toBeInstanceOf(SessionReplacedError);
    await expect(a.lock.acquire(key)).rejects.toBeInstanceOf(SessionReplacedError);
    expect(lockRows(b.db)).toEqual([{ key, owner: 'replaced-by-login', pid: process.pid }]);
  });

  it('grants the key to the next waiter in this process once the holder releases', async () => {
    const { a } = await twoProcesses();
    const first = await a.lock.acquire(key);
    const second = a.lock.acquire(key);

    first();
    const release = await second;

    expect(lockRows(a.db)).toHaveLength(1);
    release();
    expect(lockRows(a.db)).toEqual([]);
  });
});
