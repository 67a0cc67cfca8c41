import type { Statement as Prepared } from 'better-sqlite3';
import { StoreUnavailableError, UserStoreUnavailableError } from '../errors';
import { whenFree } from '../sqlite/busy';
import { type Database, databaseError, migrate } from '../sqlite/database';
import { type Row, SQL } from './sql';
import { MIGRATIONS } from './sqlite-sql';
import { type Scope, SqlUserStore, type Statement, type UserDatabase } from './store';
import type { LoginLifetimes } from './types';

/**
 * Users and their logins in the SQLite file. SQLite runs one write at a time, so a transaction that
 * checks the acting login and acts cannot interleave with another.
 */
export class SqliteUserStore extends SqlUserStore {
  constructor(db: Database, lifetimes: LoginLifetimes = { idleMs: 86_400_000, maxAgeMs: 43_200_000 }) {
    migrate(db, 'users', MIGRATIONS);
    super(sqliteUserDatabase(db), lifetimes);
  }
}

function sqliteUserDatabase(db: Database): UserDatabase {
  // SQLite has no arrays: its list of login ids comes as JSON
  const sql = {
    ...SQL,
    usernames: `SELECT l.id, u.username FROM logins l JOIN users u ON u.id = l.user_id
      WHERE l.id IN (SELECT value FROM json_each($1))`,
  };
  const prepared = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]));
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
