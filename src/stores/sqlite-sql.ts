import type { Database } from '../sqlite/database';
import { storeKey } from './key';

/** The minute a session expires in: the eviction order's unit, so most saves leave the index alone. */
export const expiresMinute = (expires: number) => Math.floor(expires / 60_000);

/** The sessions table, migration by migration: append-only, never edit one that has shipped. */
export const MIGRATIONS = [
  `CREATE TABLE sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL);
   CREATE INDEX sessions_expires ON sessions (expires);`,
  // schema 2: rows keyed by the hash of the session ID, rewritten in place so nobody is logged out,
  // indexed by user, and tombstones for revoked keys; the plain IDs stay in free pages and the -wal
  // file until the store vacuums
  (db: Database) => {
    db.function('sha256', { deterministic: true }, (sid) => storeKey(String(sid))); // SQLite has none
    db.exec(`
      ALTER TABLE sessions ADD COLUMN user_id INTEGER;
      UPDATE sessions SET
        sid = sha256(sid),
        user_id = CASE WHEN json_valid(data) AND json_type(data, '$.userId') = 'integer'
                  THEN json_extract(data, '$.userId') END;
      CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
      CREATE TABLE session_tombstones (key TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
    `);
  },
  // schema 3: the expiry index by the minute, not the millisecond, which every save moved: a save in
  // the minute the row already has rewrites the row and not its index entry (half the write)
  `ALTER TABLE sessions ADD COLUMN expires_minute INTEGER NOT NULL DEFAULT 0;
   UPDATE sessions SET expires_minute = CAST(expires / 60000 AS INTEGER);
   DROP INDEX sessions_expires;
   CREATE INDEX sessions_expires_minute ON sessions (expires_minute);`,
  // schema 4: one process per file (src/sqlite/claim.ts) and logins as rows of the user store: the
  // lock tables and tombstones go
  `DROP TABLE IF EXISTS session_tombstones;
   DROP TABLE IF EXISTS session_locks;
   DROP TABLE IF EXISTS lock_processes;
   DELETE FROM schema_version WHERE name = 'session_locks';`,
  // schema 5: the per-user index goes too; a file that bcab473 upgraded has lost it already
  (db: Database) => {
    if (db.prepare("SELECT 1 FROM pragma_table_info('sessions') WHERE name = 'user_id'").get())
      db.exec('DROP INDEX IF EXISTS sessions_user; ALTER TABLE sessions DROP COLUMN user_id');
  },
];

/** One session as the store writes it, under its store key. */
export type SessionRow = { key: string; data: string; expires: number; minute: number };

/** Every query the SQLite session store runs, prepared once. `sid` holds the store key, never the ID. */
export function prepareStatements(db: Database) {
  return {
    get: db.prepare<[string, number], { data: string }>(
      'SELECT data FROM sessions WHERE sid = ? AND expires > ?',
    ),
    // the usual save: the expiry stays in the minute the row has, so its index entry stays put
    update: db.prepare<[SessionRow]>(
      'UPDATE sessions SET data = @data, expires = @expires WHERE sid = @key AND expires_minute = @minute',
    ),
    // a save whose expiry moved to another minute: about once a minute for an active session
    move: db.prepare<[SessionRow]>(
      `UPDATE sessions SET data = @data, expires = @expires, expires_minute = @minute WHERE sid = @key`,
    ),
    insert: db.prepare<[SessionRow]>(
      `INSERT INTO sessions (sid, data, expires, expires_minute) VALUES (@key, @data, @expires, @minute)`,
    ),
    // closest to expiry by the minute, then the oldest row: an index scan, never a sort of the table
    evict: db.prepare(
      'DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions ORDER BY expires_minute, rowid LIMIT ?)',
    ),
    touch: db.prepare<[number, number, string, number]>(
      'UPDATE sessions SET expires = ?, expires_minute = ? WHERE sid = ? AND expires > ?',
    ),
    destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    // most recently active first: with rolling cookies the latest expiry is the latest visit
    recent: db.prepare<[number, number], { sid: string; data: string; expires: number }>(
      `SELECT sid, data, expires FROM sessions WHERE expires > ?
       ORDER BY expires_minute DESC, expires DESC LIMIT ?`,
    ),
    length: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires > ?'),
    rows: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sessions'),
    expired: db.prepare<[number], { n: number }>(
      'SELECT 1 AS n FROM sessions WHERE expires_minute < ? LIMIT 1',
    ),
    prune: db.prepare<[number, number]>('DELETE FROM sessions WHERE expires_minute <= ? AND expires <= ?'),
    clear: db.prepare('DELETE FROM sessions'),
  };
}
