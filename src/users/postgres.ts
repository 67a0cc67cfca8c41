import pg, { type PoolClient, type QueryResultRow } from 'pg';
import { withDeadline } from '../deadline';
import { UserStoreUnavailableError } from '../errors';
import { createLogThrottle, type Logger } from '../logger';
import { describe, userStoreError } from './postgres-errors';
import { migrateUsers } from './postgres-migrations';
import { redactUrl } from './postgres-url';
import { type Row, SQL } from './sql';
import { SqlUserStore } from './store';
import type { LoginLifetimes, UserStore } from './types';

export interface PostgresUserStoreOptions {
  url: string; // postgres://user:password@host:port/db?sslmode=…; the password is never logged
  poolSize: number;
  timeoutMs: number; // deadline for every query, on the server (statement_timeout) and here
  logger: Logger;
  lifetimes: LoginLifetimes;
}

type Query = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

export interface PostgresUserStore extends UserStore {
  ping(): Promise<void>; // PostgreSQL answers and the migrations have run, else UserStoreUnavailableError
  readonly ready: Promise<void>; // the migrations have run (never rejects: they are retried until then)
  close(): Promise<void>;
}

const RETRIED = ['40P01', '40001']; // deadlock detected, serialization failure: retried once
const LOG_INTERVAL_MS = 10_000; // a down server fails every retry: one line per interval is enough
const RETRY_MAX_MS = 2000;

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
  const query = async (what: string, text: string, values: unknown[] = []) =>
    (await call(what, () => pool.query(text, values))).rows;
  const transaction = <T>(what: string, work: (query: Query) => Promise<T>) => {
    const once = () =>
      withClient(async (client) => {
        await client.query('BEGIN');
        const result = await work(async (text, values) => (await client.query(text, values)).rows);
        await client.query('COMMIT');
        return result;
      });
    return call(what, once, 1); // a deadlock or serialization failure is retried once
  };

  // Every transaction on a user's logins locks the user's row first, so two for one user run one after
  // the other instead of deadlocking (found only after deadlock_timeout, 1 s, past the usual deadline);
  // an action by a login then checks its own row in a statement of its own, which under READ COMMITTED
  // sees what the one it waited for committed. Of two logins ending each other, the second finds itself
  // gone (or, deadlocked after all, is retried once and then does).
  const store = new SqlUserStore(
    {
      rows: (name, values) => query(name, SQL[name], values),
      transaction: ({ userId, actor }, statements) =>
        transaction(statements.map(([name]) => name).join(', '), async (q) => {
          await q('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
          if (actor !== undefined && (await q(`${SQL.own} FOR KEY SHARE`, [actor, userId])).length === 0)
            return undefined;
          let rows: Row[] = [];
          for (const [name, values] of statements) rows = await q(SQL[name], values);
          return rows;
        }),
    },
    options.lifetimes,
  );
  return Object.assign(store, {
    ready,
    ping: async () => void (await query('ping', 'SELECT 1')),
    async close() {
      closed = true;
      migrated = false;
      clearTimeout(retry);
      // a client stuck on a silent server never finishes ending: do not let it hold up shutdown
      await withDeadline(pool.end(), timeoutMs, 'users close').catch(() => {});
    },
  });
}
