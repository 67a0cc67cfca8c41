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
  // number; the generations still above 0 were kept aside for the upgrade of logged-in sessions
  // (bcab473's, see docs/deployment.md#upgrading), which dropped them when done
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
