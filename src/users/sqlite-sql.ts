import type { Database } from '../sqlite/database';
import type { LoginRow, UserRow } from './rows';

// append-only: never edit a migration that has shipped
export const MIGRATIONS = [
  `CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER
  )`,
  // AUTOINCREMENT: a deleted user's id is never handed out again, so a stale session cannot name a new
  // account; generation: bumped to log out every session stamped with the old value
  `CREATE TABLE users_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER,
    generation INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO users_v2 (id, username, password_hash, created_at) SELECT id, username, password_hash, created_at FROM users;
  DROP TABLE users;
  ALTER TABLE users_v2 RENAME TO users;`,
  // a login is a row the user owns, instead of a per-user index in every session store and a generation
  // number; the generations still above 0 are kept aside for the upgrade of logged-in sessions
  // (src/upgrade/logins.ts), which drops them when done
  `CREATE TABLE logins (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    auth_at INTEGER NOT NULL,
    device TEXT NOT NULL,
    ip TEXT NOT NULL,
    persistent INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX logins_user ON logins (user_id, last_seen_at);
  CREATE TABLE legacy_generations AS SELECT id AS user_id, generation FROM users WHERE generation > 0;
  ALTER TABLE users DROP COLUMN generation;`,
];

const USER = 'u.id, u.username, u.password_hash, u.created_at';
const LOGIN = 'l.id, l.user_id, l.created_at, l.last_seen_at, l.auth_at, l.device, l.ip, l.persistent';
// live: seen within the idle lifetime and created within the absolute one (@seenAfter, @createdAfter)
const LIVE = 'l.last_seen_at > @seenAfter AND l.created_at > @createdAfter';

type Live = { seenAfter: number; createdAfter: number };

/** Every statement the SQLite user store runs, prepared once. */
export function prepareStatements(db: Database) {
  return {
    byName: db.prepare<[string], UserRow>(`SELECT ${USER} FROM users u WHERE username = ?`),
    insertUser: db.prepare<[string, string, number], UserRow>(
      `INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
       ON CONFLICT(username) DO NOTHING RETURNING id, username, password_hash, created_at`,
    ),
    setHash: db.prepare<[string, number]>('UPDATE users SET password_hash = ? WHERE id = ?'),
    deleteUser: db.prepare<[number]>('DELETE FROM users WHERE id = ?'),
    insertLogin: db.prepare<[Omit<LoginRow, 'persistent'> & { persistent: number }]>(
      `INSERT INTO logins (id, user_id, created_at, last_seen_at, auth_at, device, ip, persistent)
       VALUES (@id, @user_id, @created_at, @last_seen_at, @auth_at, @device, @ip, @persistent)`,
    ),
    login: db.prepare<
      [{ id: string } & Live],
      LoginRow & { username: string; password_hash: string; user_created_at: number | null }
    >(
      `SELECT ${LOGIN}, u.username, u.password_hash, u.created_at AS user_created_at
       FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = @id AND ${LIVE}`,
    ),
    seen: db.prepare<[number, string]>('UPDATE logins SET last_seen_at = ? WHERE id = ?'),
    list: db.prepare<[{ userId: number } & Live], LoginRow>(
      `SELECT ${LOGIN} FROM logins l WHERE l.user_id = @userId AND ${LIVE} ORDER BY l.last_seen_at DESC`,
    ),
    // the user's least recently seen logins past the cap, the new one aside: on a tie in
    // last_seen_at the order alone could pick it
    pastCap: db.prepare<[number, string, number]>(
      `DELETE FROM logins WHERE id IN (SELECT id FROM logins WHERE user_id = ? AND id <> ?
       ORDER BY last_seen_at DESC LIMIT -1 OFFSET ?)`,
    ),
    deadOf: db.prepare<[{ userId: number } & Live]>(
      `DELETE FROM logins AS l WHERE l.user_id = @userId AND NOT (${LIVE})`,
    ),
    own: db.prepare<[string, number], { id: string }>('SELECT id FROM logins WHERE id = ? AND user_id = ?'),
    endOne: db.prepare<[string]>('DELETE FROM logins WHERE id = ?'),
    endOther: db.prepare<[number, string, string]>(
      'DELETE FROM logins WHERE user_id = ? AND id = ? AND id <> ?',
    ),
    endOthers: db.prepare<[number, string]>('DELETE FROM logins WHERE user_id = ? AND id <> ?'),
    endAll: db.prepare<[number]>('DELETE FROM logins WHERE user_id = ?'),
    confirm: db.prepare<[number, string]>('UPDATE logins SET auth_at = ? WHERE id = ?'),
    // json_each: one statement for a list of ids, whatever its length
    usernames: db.prepare<[string], { id: string; username: string }>(
      `SELECT l.id, u.username FROM logins l JOIN users u ON u.id = l.user_id
       WHERE l.id IN (SELECT value FROM json_each(?))`,
    ),
    anyDead: db.prepare<[Live], { n: number }>(`SELECT 1 AS n FROM logins l WHERE NOT (${LIVE}) LIMIT 1`),
    prune: db.prepare<[Live]>(`DELETE FROM logins AS l WHERE NOT (${LIVE})`),
  };
}
