import type { Statement as Prepared } from 'better-sqlite3';
import { StoreUnavailableError, UserStoreUnavailableError } from '../errors';
import { whenFree } from '../sqlite/busy';
import { type Database, databaseError, migrate } from '../sqlite/database';
import { type Row, SQL } from './sql';
import { type Scope, SqlUserStore, type Statement, type UserDatabase } from './store';
import type { LoginLifetimes } from './types';

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

/** Users and their logins in SQLite: one write at a time, so nothing comes between a check and its act. */
export class SqliteUserStore extends SqlUserStore {
  constructor(db: Database, lifetimes: LoginLifetimes = { idleMs: 86_400_000, maxAgeMs: 43_200_000 }) {
    migrate(db, 'users', MIGRATIONS);
    super(sqliteUserDatabase(db), lifetimes);
  }
}

function sqliteUserDatabase(db: Database): UserDatabase {
  // SQLite has no arrays: its list of login ids comes as JSON
  const usernames = SQL.usernames.replace('= ANY($1::text[])', 'IN (SELECT value FROM json_each($1))');
  const sql = Object.entries({ ...SQL, usernames });
  const prepared = Object.fromEntries(sql.map(([name, text]) => [name, db.prepare(text)]));
  // `$1` is a name to better-sqlite3, which binds neither booleans nor arrays
  const bind = (v: unknown) =>
    typeof v === 'boolean' ? Number(v) : Array.isArray(v) ? JSON.stringify(v) : v;
  const all = ([name, values]: Statement): Row[] => {
    const statement = prepared[name] as Prepared;
    const named = Object.fromEntries(values.map((v, i) => [i + 1, bind(v)]));
    if (statement.reader) return statement.all(named) as Row[];
    statement.run(named);
    return [];
  };
  const guarded = db.transaction(({ userId, actor }: Scope, statements: Statement[]) => {
    if (actor !== undefined && all(['own', [actor, userId]]).length === 0) return undefined;
    return statements.map(all).at(-1);
  });
  // a busy or broken file is a 503
  const run = async <T>(work: () => T): Promise<T> => {
    try {
      return whenFree(db, work);
    } catch (err) {
      const mapped = databaseError(err);
      throw mapped instanceof StoreUnavailableError ? new UserStoreUnavailableError(mapped.reason) : mapped;
    }
  };
  return {
    rows: (...statement) => run(() => all(statement)),
    transaction: (scope, statements) => run(() => guarded.immediate(scope, statements)),
  };
}
