import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StartError } from '../errors';

const RETRY_MS = 100;

/**
 * Claims the SQLite file for this process: an exclusive lock on a sidecar database (`<file>.claim`),
 * held for the connection's life, which the operating system lets go however the process ends. The
 * app's file itself stays unlocked, so the `sqlite3` shell can still read it. A second server waits up
 * to `waitMs` (a first one may be draining), then gets a StartError that says what to do.
 */
export async function claimFile(path: string, waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    let claim: Database.Database;
    try {
      claim = new Database(`${path}.claim`, { timeout: 0 });
    } catch (err) {
      const { code, message } = err as { code?: string; message?: string };
      throw new StartError(
        `database ${path} cannot be opened (${code ?? message}): check the file and its directory`,
      );
    }
    try {
      claim.pragma('locking_mode = EXCLUSIVE');
      claim.exec('BEGIN EXCLUSIVE; COMMIT'); // the lock stays after the commit in this locking mode
      return () => claim.close();
    } catch (err) {
      claim.close();
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err;
      if (Date.now() >= deadline)
        throw new StartError(
          `${path} is in use by another server process; SQLite serves one process: stop the other one, or run several with SESSION_STORE=redis and DATABASE_URL`,
        );
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

/**
 * A process of the previous version shares the file through a lock table and holds no claim: refuse
 * to start while its heartbeat is fresh. Afterwards the session store's migration drops those tables.
 */
export function assertNoOlderServer(db: Database.Database, path: string, ttlMs: number): void {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lock_processes'");
  if (!table.get()) return;
  const beat = db.prepare<[], { beat: number | null }>('SELECT max(beat) AS beat FROM lock_processes').get();
  if ((beat?.beat ?? 0) > Date.now() - ttlMs)
    throw new StartError(`${path} is in use by a server of an older version; stop it first`);
}
