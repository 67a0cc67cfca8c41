import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { StartError } from '../errors';
import { assertWritable, openDatabase } from './database';

const RETRY_MS = 100;

/**
 * The SQLite file, claimed for this process, open and writable; `close` closes it and lets the claim
 * go. Fails with a StartError that says in one line what to do.
 */
export async function openClaimedFile(path: string, waitMs: number, heartbeatTtlMs: number) {
  let claim: Database.Database | undefined;
  let db: Database.Database | undefined;
  const close = () => {
    if (db?.open) db.close();
    claim?.close();
  };
  try {
    if (path !== ':memory:') claim = await claimFile(path, waitMs);
    db = openDatabase(path);
    refuseOlderServer(db, path, heartbeatTtlMs);
    assertWritable(db); // a read-only file opens; it fails on the first write
    return { db, close };
  } catch (err) {
    close();
    if (err instanceof StartError) throw err;
    const { code, message } = err as { code?: string; message?: string };
    const what = db || code?.startsWith('SQLITE_READONLY') ? 'written' : 'opened';
    throw new StartError(
      `database ${path} cannot be ${what} (${code ?? message}): check the file and its directory`,
      { cause: err },
    );
  }
}

/**
 * An exclusive lock on a sidecar database (`<file>.claim`), held for the connection's life, which the
 * operating system lets go however the process ends; the app's file stays unlocked, so the `sqlite3`
 * shell can still read it. A second server waits up to `waitMs`: a first one may be draining.
 */
async function claimFile(path: string, waitMs: number): Promise<Database.Database> {
  const deadline = Date.now() + waitMs;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    const claim = new Database(`${path}.claim`, { timeout: 0 });
    try {
      claim.pragma('locking_mode = EXCLUSIVE');
      claim.exec('BEGIN EXCLUSIVE; COMMIT'); // the lock stays after the commit in this locking mode
      return claim;
    } catch (err) {
      claim.close();
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err;
      if (Date.now() >= deadline)
        throw new StartError(
          `${path} is in use by another server process; SQLite serves one process: stop the other one, or run several with SESSION_STORE=redis and DATABASE_URL`,
        );
      await sleep(RETRY_MS);
    }
  }
}

/** An older version shared the file through a lock table, not a claim: refuse its process while it beats. */
function refuseOlderServer(db: Database.Database, path: string, heartbeatTtlMs: number): void {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lock_processes'");
  if (!table.get()) return;
  const beat = db.prepare<[], { beat: number | null }>('SELECT max(beat) AS beat FROM lock_processes').get();
  if ((beat?.beat ?? 0) > Date.now() - heartbeatTtlMs)
    throw new StartError(`${path} is in use by a server of an older version; stop it first`);
}
