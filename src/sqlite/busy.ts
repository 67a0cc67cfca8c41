import { StoreUnavailableError } from '../errors';
import type { Database } from './database';

const PROBE_EVERY_MS = 100;

const busyUntil = new WeakMap<Database, number>(); // one gate per file: the session and user stores share it

/**
 * Runs one unit of work on the database unless it was found busy moments ago. After a SQLITE_BUSY
 * (another connection holds the write lock), every call fails at once with StoreUnavailableError
 * for 100 ms; then one call goes through as the probe. The driver blocks the whole process while it
 * waits, so waiting out another connection's transaction would freeze every request, /healthz too.
 */
export function whenFree<T>(db: Database, work: () => T): T {
  const now = Date.now();
  if (now < (busyUntil.get(db) ?? 0)) throw new StoreUnavailableError('database busy');
  try {
    return work();
  } catch (err) {
    if ((err as { code?: unknown })?.code === 'SQLITE_BUSY') busyUntil.set(db, now + PROBE_EVERY_MS);
    throw err;
  }
}
