import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors';

export type { Database } from 'better-sqlite3';

// the driver is synchronous, so a wait for another connection's write lock blocks the whole process:
// wait a few milliseconds, and let the busy gate (busy.ts) answer the rest with a fast 503
const BUSY_TIMEOUT_MS = 5;

/** Opens (creating if needed) the file the session and user stores share; WAL lets `sqlite3` read along. */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes; WAL fsyncs at checkpoints
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (name TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

/** One schema step: SQL, or a function for what SQL alone cannot do (it runs inside the transaction). */
type Migration = string | ((db: Database.Database) => void);

/** Runs, in one transaction, the migrations after the version recorded under `name`; returns that version. */
export function migrate(db: Database.Database, name: string, migrations: readonly Migration[]): number {
  const read = db.prepare<[string], { version: number }>('SELECT version FROM schema_version WHERE name = ?');
  const from = read.get(name)?.version ?? 0;
  if (from > migrations.length)
    throw new Error(`${name} schema is version ${from}, newer than this code knows (${migrations.length})`);
  db.transaction(() => {
    for (const step of migrations.slice(from)) {
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.prepare(
      'INSERT INTO schema_version (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version',
    ).run(name, migrations.length);
  }).immediate();
  return from;
}

// a busy, read-only, unopenable, failing or full file: the store is unavailable, not the code broken
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|FULL)/;

/** Whether a database error means "not now" (a 503) rather than a bug (a 500). */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return true;
  return err instanceof TypeError && /not open/.test(err.message);
}

/** A database that cannot serve is unavailable for now (503); anything else is a real failure (500). */
export function databaseError(err: unknown): unknown {
  return isUnavailable(err) ? new StoreUnavailableError(String((err as Error).message)) : err;
}

/** Throws unless this connection can write the file: a write that is rolled back, so it costs no disk I/O. */
export function assertWritable(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('UPDATE schema_version SET version = version');
  } finally {
    db.exec('ROLLBACK');
  }
}
