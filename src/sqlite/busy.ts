import { StoreUnavailableError } from '../errors';
import type { Database } from './database';

const PROBE_EVERY_MS = 100;

const gates = new WeakMap<Database, { busyUntil: number }>();

/**
 * Runs one unit of work on the database unless it was found busy moments ago. After a SQLITE_BUSY
 * (another connection holds the write lock), every call fails at once with StoreUnavailableError
 * for 100 ms; then one call goes through as the probe. The driver blocks the whole process while it
 * waits, so waiting out another connection's transaction would freeze every request, /healthz too.
 * One gate per database, shared by the session and user stores on it.
 */
export function whenFree<T>(db: Database, work: () => T): T {
  let gate = gates.get(db);
  if (!gate) {
    gate = { busyUntil: 0 };
    gates.set(db, gate);
  }
  const now = Date.now();
  if (now < gate.busyUntil) throw new StoreUnavailableError('database busy');
  try {
    return work();
  } catch (err) {
    if ((err as { code?: unknown })?.code === 'SQLITE_BUSY') gate.busyUntil = now + PROBE_EVERY_MS;
    throw err;
  }
}
