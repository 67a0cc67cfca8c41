import type { SessionData } from 'express-session';
import type { Database } from '../sqlite-file';
import { storeKey } from './key';

/**
 * Schema 2: rows keyed by the hash of the session ID, indexed by user, and tombstones for revoked
 * keys. Rewrites the rows written by schema 1 in place, so nobody is logged out by the upgrade.
 * The plain IDs still sit in free pages and the -wal file until the caller vacuums (scrubFreePages).
 */
function hashKeysAndIndexUsers(db: Database): void {
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
}

/** The minute a session expires in: the eviction order's unit, so most saves leave the index alone. */
export const expiresMinute = (expires: number) => Math.floor(expires / 60_000);

/** The sessions table, migration by migration: append-only, never edit one that has shipped. */
export const MIGRATIONS = [
  `CREATE TABLE sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL);
   CREATE INDEX sessions_expires ON sessions (expires);`,
  hashKeysAndIndexUsers,
  // schema 3: the expiry index by the minute, not the millisecond, which every save moved: a save in
  // the minute the row already has rewrites the row and not its index entry (half the write)
  `ALTER TABLE sessions ADD COLUMN expires_minute INTEGER NOT NULL DEFAULT 0;
   UPDATE sessions SET expires_minute = CAST(expires / 60000 AS INTEGER);
   DROP INDEX sessions_expires;
   CREATE INDEX sessions_expires_minute ON sessions (expires_minute);`,
];

/** After the rewrite has committed: no old page or WAL frame may keep a plain session ID. */
export function scrubFreePages(db: Database): void {
  db.exec('VACUUM'); // rebuilds the file from live rows only
  db.pragma('wal_checkpoint(TRUNCATE)'); // copies the WAL into the file and empties it
}

type Row = { sid: string; data: string; expires: number };

/** One session as the store writes it: under its store key, indexed by user (NULL when anonymous). */
export type SessionRow = {
  key: string;
  data: string;
  expires: number;
  userId: number | null;
  minute: number;
};

export function sessionRow(key: string, session: SessionData, expires: number): SessionRow {
  const userId = Number.isSafeInteger(session.userId) ? session.userId : null;
  return { key, data: JSON.stringify(session), expires, userId, minute: expiresMinute(expires) };
}

/** Every query the SQLite session store runs, prepared once. `sid` holds the store key, never the ID. */
export function prepareStatements(db: Database) {
  return {
    get: db.prepare<[string, number], { data: string }>(
      'SELECT data FROM sessions WHERE sid = ? AND expires > ?',
    ),
    // the usual save: the expiry stays in the minute the row has, so its index entry stays put
    update: db.prepare<[SessionRow]>(
      `UPDATE sessions SET data = @data, expires = @expires, user_id = @userId
       WHERE sid = @key AND expires_minute = @minute`,
    ),
    // a save whose expiry moved to another minute: about once a minute for an active session
    move: db.prepare<[SessionRow]>(
      `UPDATE sessions SET data = @data, expires = @expires, user_id = @userId, expires_minute = @minute
       WHERE sid = @key`,
    ),
    insert: db.prepare<[SessionRow]>(
      `INSERT INTO sessions (sid, data, expires, user_id, expires_minute)
       VALUES (@key, @data, @expires, @userId, @minute)`,
    ),
    // closest to expiry by the minute, then the oldest row: an index scan, never a sort of the table
    evict: db.prepare(
      'DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions ORDER BY expires_minute, rowid LIMIT ?)',
    ),
    touch: db.prepare<[number, string, number, number]>(
      'UPDATE sessions SET expires = ? WHERE sid = ? AND expires > ? AND expires_minute = ?',
    ),
    touchMove: db.prepare<[number, number, string, number]>(
      'UPDATE sessions SET expires = ?, expires_minute = ? WHERE sid = ? AND expires > ?',
    ),
    destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    byUser: db.prepare<[number, number], Row>(
      'SELECT sid, data, expires FROM sessions WHERE user_id = ? AND expires > ?',
    ),
    destroyByUser: db.prepare<[number, string | null], { sid: string; expires: number }>(
      'DELETE FROM sessions WHERE user_id = ? AND sid IS NOT ? RETURNING sid, expires',
    ),
    destroyByKey: db.prepare<[string], { expires: number }>(
      'DELETE FROM sessions WHERE sid = ? RETURNING expires',
    ),
    tombstone: db.prepare<[string, number]>(
      `INSERT INTO session_tombstones (key, expires) VALUES (?, ?)
       ON CONFLICT(key) DO UPDATE SET expires = excluded.expires`,
    ),
    tombstoned: db.prepare<[string, number], { t: number }>(
      'SELECT 1 AS t FROM session_tombstones WHERE key = ? AND expires > ?',
    ),
    all: db.prepare<[number], { sid: string; data: string }>(
      'SELECT sid, data FROM sessions WHERE expires > ?',
    ),
    length: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires > ?'),
    rows: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sessions'),
    prune: db.prepare<[number, number]>('DELETE FROM sessions WHERE expires_minute <= ? AND expires <= ?'),
    pruneTombstones: db.prepare('DELETE FROM session_tombstones WHERE expires <= ?'),
    clear: db.prepare('DELETE FROM sessions'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
