import type { Database } from 'better-sqlite3';
import { migrate } from '../sqlite-file';
import type { NewUser, User, UserStore } from './types';

// append-only: never edit a migration that has shipped
const MIGRATIONS = [
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
];

interface Row {
  id: number;
  username: string;
  password_hash: string;
  created_at: number | null;
  generation: number;
}

const COLUMNS = 'id, username, password_hash, created_at, generation';

function toUser(row: Row | undefined): User | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: row.created_at ?? 0,
    generation: row.generation,
  };
}

/** Users in the embedded SQLite database; several processes on this machine can share the file. */
export class SqliteUserStore implements UserStore {
  private readonly sql;

  constructor(db: Database) {
    migrate(db, 'users', MIGRATIONS);
    this.sql = {
      byName: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM users WHERE username = ?`),
      byId: db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM users WHERE id = ?`),
      // the UNIQUE constraint settles two signups racing for one name
      insert: db.prepare<[string, string, number], Row>(
        `INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
         ON CONFLICT(username) DO NOTHING RETURNING ${COLUMNS}`,
      ),
      setHash: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      bump: db.prepare<[number], { generation: number }>(
        'UPDATE users SET generation = generation + 1 WHERE id = ? RETURNING generation',
      ),
      delete: db.prepare('DELETE FROM users WHERE id = ?'),
    };
  }

  async findByUsername(username: string): Promise<User | undefined> {
    return toUser(this.sql.byName.get(username));
  }

  async findById(id: number): Promise<User | undefined> {
    return toUser(this.sql.byId.get(id));
  }

  async create({ username, passwordHash, createdAt }: NewUser): Promise<User | undefined> {
    return toUser(this.sql.insert.get(username, passwordHash, createdAt));
  }

  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    this.sql.setHash.run(passwordHash, id);
  }

  async bumpGeneration(id: number): Promise<number> {
    const row = this.sql.bump.get(id);
    if (!row) throw new Error(`bumpGeneration: no user ${id}`);
    return row.generation;
  }

  async delete(id: number): Promise<boolean> {
    return this.sql.delete.run(id).changes > 0;
  }
}
