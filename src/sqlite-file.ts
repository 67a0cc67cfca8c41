import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from './errors';

export type { Database } from 'better-sqlite3';

/**
 * Opens (creating if needed) the embedded SQLite database shared by the session and user stores.
 * WAL lets readers and one writer work at once, across processes on this machine too.
 */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes; WAL fsyncs at checkpoints
  db.pragma('busy_timeout = 1000'); // wait for another process's write lock, briefly
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (name TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

/** One schema step: SQL, or a function for what SQL alone cannot do (it runs inside the transaction). */
export type Migration = string | ((db: Database.Database) => void);

/**
 * Brings one component's tables up to date: runs, in one transaction each, the migrations after the
 * version recorded under `name`. Migrations are append-only: never edit one that has shipped.
 * Each step re-reads the version under the write lock, so two processes starting on one file at
 * once run every step exactly once. Returns the version found at the start.
 */
export function migrate(db: Database.Database, name: string, migrations: readonly Migration[]): number {
  const read = db.prepare<[string], { version: number }>('SELECT version FROM schema_version WHERE name = ?');
  const record = db.prepare(
    'INSERT INTO schema_version (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version',
  );
  const versionOf = () => read.get(name)?.version ?? 0;
  const from = versionOf();
  if (from > migrations.length) {
    throw new Error(`${name} schema is version ${from}, newer than this code knows (${migrations.length})`);
  }
  const next = db.transaction((): boolean => {
    const current = versionOf();
    const step = migrations[current];
    if (step === undefined) return false; // up to date (perhaps another process just did it)
    if (typeof step === 'string') db.exec(step);
    else step(db);
    record.run(name, current + 1);
    return true;
  });
  while (next.immediate()) {} // IMMEDIATE: take the write lock before reading the version
  return from;
}

// a busy, read-only, unopenable, failing or full file: the store is unavailable, not the code broken
const UNAVAILABLE = /^SQLITE_(BUSY|READONLY|CANTOPEN|IOERR|FULL)/;

/** A database that cannot serve is unavailable for now (503); anything else is a real failure (500). */
export function databaseError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) return new StoreUnavailableError(code);
  if (err instanceof TypeError && /not open/.test(err.message)) return new StoreUnavailableError('closed');
  return err;
}

/**
 * Throws unless this connection can write the file: a write that is rolled back, so it costs no disk
 * I/O. A read-only or immutable file still opens (SQLite falls back to reading) and fails only here.
 */
export function assertWritable(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE'); // waits up to busy_timeout for another process's write
  try {
    db.exec('UPDATE schema_version SET version = version');
  } finally {
    db.exec('ROLLBACK');
  }
}
