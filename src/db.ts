import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

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

/**
 * Brings one component's tables up to date: runs, in one transaction each, the migrations after the
 * version recorded under `name`. Migrations are append-only: never edit one that has shipped.
 */
export function migrate(db: Database.Database, name: string, migrations: readonly string[]): void {
  const row = db.prepare('SELECT version FROM schema_version WHERE name = ?').get(name) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  if (current > migrations.length) {
    throw new Error(
      `${name} schema is version ${current}, newer than this code knows (${migrations.length})`,
    );
  }
  migrations.slice(current).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.prepare(
        'INSERT INTO schema_version (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version',
      ).run(name, current + i + 1);
    })();
  });
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
