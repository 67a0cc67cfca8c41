import type { Database, Migration } from '../sqlite-file';
import { REPLACED_MARKER as REPLACED } from './replaced-sessions';
import { REGISTRY_TABLE } from './sqlite-registry';

/** The lock's tables: append-only, as every migration. */
export const MIGRATIONS: Migration[] = [
  `CREATE TABLE session_locks (
     key TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, expires INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  REGISTRY_TABLE,
];
// a login moved the session to a new ID: the row keeps REPLACED as its owner, which no token can
// equal, so every process turns the old ID away (SessionReplacedError) until it expires

/** The lock's statements, prepared once per connection. */
export function prepare(db: Database) {
  return {
    // one statement: insert, or overwrite a row that has expired; 0 changes means someone holds it
    take: db.prepare<{ key: string; owner: string; pid: number; expires: number; now: number }>(
      `INSERT INTO session_locks (key, owner, pid, expires) VALUES (@key, @owner, @pid, @expires)
       ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, expires = excluded.expires
       WHERE expires <= @now`,
    ),
    holder: db.prepare<[string], { owner: string; pid: number }>(
      'SELECT owner, pid FROM session_locks WHERE key = ?',
    ),
    takeOver: db.prepare<[string, number, number, string, string]>(
      'UPDATE session_locks SET owner = ?, pid = ?, expires = ? WHERE key = ? AND owner = ?',
    ),
    extend: db.prepare<[number, string, string]>(
      'UPDATE session_locks SET expires = ? WHERE key = ? AND owner = ?',
    ),
    release: db.prepare<[string, string]>('DELETE FROM session_locks WHERE key = ? AND owner = ?'),
    replace: db.prepare<[number, string, string]>(
      `UPDATE session_locks SET owner = '${REPLACED}', expires = ? WHERE key = ? AND owner = ?`,
    ),
    prune: db.prepare<[number]>('DELETE FROM session_locks WHERE expires <= ?'),
    // the hand-over: a key held here in solo mode gets its row, whatever stale row was there
    claim: db.prepare<[string, string, number, number]>(
      `INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, ?, ?, ?) ON CONFLICT(key)
       DO UPDATE SET owner = excluded.owner, pid = excluded.pid, expires = excluded.expires`,
    ),
    mark: db.prepare<[string, number, number]>(
      `INSERT INTO session_locks (key, owner, pid, expires) VALUES (?, '${REPLACED}', ?, ?) ON CONFLICT(key)
       DO UPDATE SET owner = excluded.owner, pid = excluded.pid, expires = max(expires, excluded.expires)`,
    ),
    markers: db.prepare<[number], { key: string; expires: number }>(
      `SELECT key, expires FROM session_locks WHERE owner = '${REPLACED}' AND expires > ?`,
    ),
    // live rows of other locks: their owner tokens do not start with ours
    foreign: db.prepare<[number, number, string], { pid: number }>(
      `SELECT DISTINCT pid FROM session_locks
       WHERE owner != '${REPLACED}' AND expires > ? AND substr(owner, 1, ?) != ?`,
    ),
  };
}
