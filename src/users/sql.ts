import type { Login, User } from './types';

const USER = 'id, username, password_hash, created_at';
const LOGIN = 'l.id, l.user_id, l.created_at, l.last_seen_at, l.auth_at, l.device, l.ip, l.persistent';
// live: seen within the idle lifetime and created within the absolute one; always $1 and $2
const LIVE = 'l.last_seen_at > $1 AND l.created_at > $2';

/** Every statement of the user store, once for SQLite and PostgreSQL (better-sqlite3 binds `$1` by name). */
export const SQL = {
  findUser: `SELECT ${USER} FROM users WHERE username = $1`,
  // the unique index settles two signups racing for one name, across instances too
  createUser: `INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
    ON CONFLICT (username) DO NOTHING RETURNING ${USER}`,
  setHash: 'UPDATE users SET password_hash = $1 WHERE id = $2',
  deleteUser: 'DELETE FROM users WHERE id = $1 RETURNING id',
  insertLogin: `INSERT INTO logins (id, user_id, created_at, last_seen_at, auth_at, device, ip, persistent)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  findLogin: `SELECT ${LOGIN}, u.username, u.password_hash, u.created_at AS user_created_at
    FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = $3 AND ${LIVE}`,
  seen: 'UPDATE logins SET last_seen_at = $1 WHERE id = $2',
  list: `SELECT ${LOGIN} FROM logins l WHERE l.user_id = $3 AND ${LIVE} ORDER BY l.last_seen_at DESC`,
  deadOf: `DELETE FROM logins AS l WHERE l.user_id = $3 AND NOT (${LIVE})`,
  // the user's least recently seen logins past the cap ($3 kept), the new one ($2) aside: on a tie in
  // last_seen_at the order alone could pick it
  pastCap: `DELETE FROM logins WHERE user_id = $1 AND id <> $2 AND id NOT IN
    (SELECT id FROM logins WHERE user_id = $1 AND id <> $2 ORDER BY last_seen_at DESC LIMIT $3)`,
  own: 'SELECT 1 FROM logins WHERE id = $1 AND user_id = $2',
  endOne: 'DELETE FROM logins WHERE id = $1',
  endOther: 'DELETE FROM logins WHERE user_id = $1 AND id = $2 AND id <> $3 RETURNING id',
  endOthers: 'DELETE FROM logins WHERE user_id = $1 AND id <> $2 RETURNING id',
  endAll: 'DELETE FROM logins WHERE user_id = $1',
  confirm: 'UPDATE logins SET auth_at = $1 WHERE id = $2 RETURNING id',
  usernames: `SELECT l.id, u.username FROM logins l JOIN users u ON u.id = l.user_id
    WHERE l.id = ANY($1::text[])`, // SQLite's takes JSON (sqlite.ts)
  anyDead: `SELECT 1 FROM logins l WHERE NOT (${LIVE}) LIMIT 1`,
  prune: `DELETE FROM logins AS l WHERE NOT (${LIVE}) RETURNING id`,
};

/** A row as either database returns it: PostgreSQL's bigints as strings, SQLite's booleans as 0 or 1. */
export type Row = Record<string, unknown>;

// ids and times stay far below 2^53
export const toUser = (row: Row): User => ({
  id: Number(row.id),
  username: String(row.username),
  passwordHash: String(row.password_hash),
  createdAt: Number(row.created_at ?? 0),
});

export const toLogin = (row: Row): Login => ({
  id: String(row.id),
  userId: Number(row.user_id),
  createdAt: Number(row.created_at),
  lastSeenAt: Number(row.last_seen_at),
  authAt: Number(row.auth_at),
  device: String(row.device),
  ip: String(row.ip),
  persistent: Boolean(row.persistent),
});
