import type { Database } from 'better-sqlite3';
import { migrate } from '../db';
import type { NewUser, User, UserStore } from './types';

// append-only: never edit a migration that has shipped
const MIGRATIONS = [
  `CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER
  )`,
];

interface Row {
  id: number;
  username: string;
  password_hash: string;
  created_at: number | null;
}

const COLUMNS = 'id, username, password_hash, created_at';

function toUser(row: Row | undefined): User | undefined {
  if (!row) return undefined;
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: row.created_at ?? 0,
  };
}

/** Users in the embedded SQLite database; several processes on this machine can share the file. */
export class SqliteUserStore implements UserStore {
  private readonly byName;
  private readonly byId;
  private readonly insert;

  constructor(db: Database) {
    migrate(db, 'users', MIGRATIONS);
    this.byName = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM users WHERE username = ?`);
    this.byId = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
    // the UNIQUE constraint settles two signups racing for one name
    this.insert = db.prepare<[string, string, number], Row>(
      `INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
       ON CONFLICT(username) DO NOTHING RETURNING ${COLUMNS}`,
    );
  }

  async findByUsername(username: string): Promise<User | undefined> {
    return toUser(this.byName.get(username));
  }

  async findById(id: number): Promise<User | undefined> {
    return toUser(this.byId.get(id));
  }

  async create({ username, passwordHash, createdAt }: NewUser): Promise<User | undefined> {
    return toUser(this.insert.get(username, passwordHash, createdAt));
  }
}
