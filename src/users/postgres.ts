import pg, { DatabaseError, type PoolClient } from 'pg';
import { withDeadline } from '../deadline';
import { StoreUnavailableError, UserStoreUnavailableError } from '../errors';
import { createLogThrottle, type Logger } from '../logger';
import { migrateUsers } from './postgres-migrations';
import { redactUrl } from './postgres-url';
import { type Row, SQL } from './sql';
import { type Scope, SqlUserStore, type Statement } from './store';
import type { LoginLifetimes, UserStore } from './types';

export interface PostgresUserStoreOptions {
  url: string; // postgres://user:password@host:port/db?sslmode=…; the password is never logged
  poolSize: number;
  timeoutMs: number; // deadline for every query, on the server (statement_timeout) and here
  logger: Logger;
  lifetimes: LoginLifetimes;
}

export interface PostgresUserStore extends UserStore {
  ping(): Promise<void>; // PostgreSQL answers and the migrations have run, else UserStoreUnavailableError
  readonly ready: Promise<void>; // the migrations have run (never rejects: they are retried until then)
  close(): Promise<void>;
}

// SQLSTATE classes that mean "not now" rather than a bug: connection exception, transaction rollback
// (serialization, deadlock), insufficient resources, operator intervention (statement_timeout's
// 57014, a server shutting down), system error
const UNAVAILABLE_CLASSES = ['08', '40', '53', '57', '58'];
const RETRIED = ['40P01', '40001']; // deadlock detected, serialization failure: a transaction retries once
const LOG_INTERVAL_MS = 10_000; // a down server fails every retry: one line per interval is enough
const RETRY_MAX_MS = 2000;

/** name, code and message only, for a log line: a pg error may carry connection parameters */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'postgres error';
  const code = (err as { code?: unknown }).code;
  return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
}

/** A bug (TypeError, an SQL syntax error) stays itself, a 500; an unwell network, pool or server, a 503. */
function userStoreError(err: unknown): unknown {
  if (err instanceof UserStoreUnavailableError) return err;
  if (err instanceof StoreUnavailableError) return new UserStoreUnavailableError(err.reason); // a deadline
  if (err instanceof TypeError || err instanceof RangeError) return err;
  if (err instanceof DatabaseError && !UNAVAILABLE_CLASSES.some((c) => err.code?.startsWith(c))) return err;
  return new UserStoreUnavailableError(describe(err));
}

/**
 * Users and their logins in PostgreSQL, shared by every instance. Returns at once: migrations run on
 * the first successful connection and are retried in the background; meanwhile, and whenever
 * PostgreSQL is down or silent, every call fails within timeoutMs with UserStoreUnavailableError.
 */
export function createPostgresUserStore(options: PostgresUserStoreOptions): PostgresUserStore {
  const { url, timeoutMs, logger } = options;
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url, // sslmode and the rest are read from it
    max: options.poolSize,
    connectionTimeoutMillis: timeoutMs, // connecting, and waiting for a free client
    query_timeout: timeoutMs, // client side: a client stuck on a silent server is errored and destroyed
    statement_timeout: timeoutMs, // server side: the query is cancelled there too
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  const throttle = createLogThrottle(Date.now, LOG_INTERVAL_MS);
  const warn = (err: unknown, msg: string) =>
    throttle(msg, () => logger.warn({ error: describe(err), database: where }, msg));
  pool.on('error', (err) => warn(err, 'postgres idle connection failed')); // unhandled, it would crash

  const withClient = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (err) {
      client.release(err as Error); // destroyed, not reused: it may be mid-transaction
      throw err;
    }
  };

  let migrated = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const migrate = async (delay: number): Promise<void> => {
      try {
        await withClient(migrateUsers);
        migrated = true;
        resolve();
        logger.info({ database: where }, 'postgres user store ready');
      } catch (err) {
        if (closed) return;
        warn(err, 'postgres user store not ready; retrying');
        retry = setTimeout(() => void migrate(Math.min(delay * 2, RETRY_MAX_MS)), delay).unref();
      }
    };
    void migrate(100);
  });

  /** work within timeoutMs, or a UserStoreUnavailableError (at once before the migrations have run) */
  const call = async <T>(what: string, work: () => Promise<T>, retries = 0): Promise<T> => {
    if (!migrated) throw new UserStoreUnavailableError(closed ? 'closed' : 'users: not migrated yet');
    try {
      return await withDeadline(work(), timeoutMs, `users ${what}`);
    } catch (err) {
      const code = (err as { code?: string } | undefined)?.code ?? '';
      if (retries > 0 && RETRIED.includes(code)) return call(what, work, retries - 1);
      throw userStoreError(err);
    }
  };

  // Every transaction on a user's logins locks the user's row first, so two for one user run one after
  // the other instead of deadlocking (found only after deadlock_timeout, 1 s, past the usual deadline);
  // an action by a login then checks its own row in a statement of its own, which under READ COMMITTED
  // sees what the one it waited for committed. Of two logins ending each other, the second finds itself
  // gone (or, deadlocked after all, is retried once and then does).
  const inTransaction = ({ userId, actor }: Scope, statements: Statement[]) =>
    withClient(async (client) => {
      const q = async (sql: string, values: unknown[] = []): Promise<Row[]> =>
        (await client.query(sql, values)).rows;
      await q('BEGIN');
      await q('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
      const gone = actor !== undefined && (await q(`${SQL.own} FOR KEY SHARE`, [actor, userId])).length === 0;
      let rows: Row[] | undefined;
      if (!gone) for (const [name, values] of statements) rows = await q(SQL[name], values);
      await q('COMMIT');
      return rows;
    });
  const store = new SqlUserStore(
    {
      rows: (name, values) => call(name, async () => (await pool.query(SQL[name], values)).rows),
      transaction: (scope, statements) =>
        call(statements.map(([name]) => name).join(', '), () => inTransaction(scope, statements), 1),
    },
    options.lifetimes,
  );
  return Object.assign(store, {
    ready,
    ping: async () => void (await call('ping', () => pool.query('SELECT 1'))),
    async close() {
      closed = true;
      migrated = false;
      clearTimeout(retry);
      // a client stuck on a silent server never finishes ending: do not let it hold up shutdown
      await withDeadline(pool.end(), timeoutMs, 'users close').catch(() => {});
    },
  });
}
