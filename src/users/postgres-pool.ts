import pg, { type QueryResultRow } from 'pg';
import { withDeadline } from '../deadline';
import { UserStoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { describe, userStoreError } from './postgres-errors';
import { migrateUsers } from './postgres-migrations';
import { redactUrl } from './postgres-url';

export interface PoolOptions {
  /** postgres://user:password@host:port/db?sslmode=…; the password is never logged */
  url: string;
  poolSize: number;
  /** deadline for every query, on the server (statement_timeout) and here */
  timeoutMs: number;
  logger: Logger;
}

export type Query = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

const RETRIED = ['40P01', '40001']; // deadlock detected, serialization failure

export interface UserPool {
  /** the rows, or UserStoreUnavailableError within timeoutMs (before the migrations have run: at once) */
  query<R extends QueryResultRow>(what: string, text: string, values?: unknown[]): Promise<R[]>;
  /**
   * Runs `work` in one transaction on one client; a deadlock or serialization failure (two logins
   * acting on each other at once) is retried once, so the loser then finds its own login gone.
   */
  transaction<T>(what: string, work: (query: Query) => Promise<T>): Promise<T>;
  /** resolves once the migrations have run (never rejects: they are retried until then) */
  ready: Promise<void>;
  close(): Promise<void>;
}

const LOG_INTERVAL_MS = 10_000; // a down server fails every retry: one line per interval is enough
const RETRY_MAX_MS = 2000;

/** A pg pool whose migrations run on the first successful connection, retried in the background. */
export function openUserPool({ url, poolSize, timeoutMs, logger }: PoolOptions): UserPool {
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url, // sslmode and the rest are read from it
    max: poolSize,
    connectionTimeoutMillis: timeoutMs, // connecting, and waiting for a free client
    query_timeout: timeoutMs, // client side: a client stuck on a silent server is errored and destroyed
    statement_timeout: timeoutMs, // server side: the query is cancelled there too
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  let lastLogged = 0;
  const warn = (err: unknown, msg: string) => {
    if (Date.now() - lastLogged < LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.warn({ error: describe(err), database: where }, msg);
  };
  pool.on('error', (err) => warn(err, 'postgres idle connection failed')); // unhandled, it would crash

  let migrated = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const migrate = async (delay: number): Promise<void> => {
    try {
      const client = await pool.connect();
      await migrateUsers(client).then(
        () => client.release(),
        (err) => {
          client.release(err); // destroyed, not reused: it may be mid-transaction
          throw err;
        },
      );
      migrated = true;
      markReady();
      logger.info({ database: where }, 'postgres user store ready');
    } catch (err) {
      if (closed) return;
      warn(err, 'postgres user store not ready; retrying');
      retry = setTimeout(() => void migrate(Math.min(delay * 2, RETRY_MAX_MS)), delay);
      retry.unref();
    }
  };
  void migrate(100);

  return {
    ready,
    async query<R extends QueryResultRow>(what: string, text: string, values: unknown[] = []) {
      if (!migrated) throw new UserStoreUnavailableError(closed ? 'closed' : 'users: not migrated yet');
      try {
        return (await withDeadline(pool.query<R>(text, values), timeoutMs, `users ${what}`)).rows;
      } catch (err) {
        throw userStoreError(err);
      }
    },
    async transaction<T>(what: string, work: (query: Query) => Promise<T>) {
      if (!migrated) throw new UserStoreUnavailableError(closed ? 'closed' : 'users: not migrated yet');
      const once = async () => {
        const client = await pool.connect();
        const query: Query = async (text, values = []) => (await client.query(text, values)).rows;
        try {
          await client.query('BEGIN');
          const result = await work(query);
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (err) {
          client.release(err as Error); // destroyed, not reused: it may be mid-transaction
          throw err;
        }
      };
      const attempt = () => withDeadline(once(), timeoutMs, `users ${what}`);
      try {
        return await attempt().catch((err: { code?: string }) => {
          if (RETRIED.includes(err?.code ?? '')) return attempt();
          throw err;
        });
      } catch (err) {
        throw userStoreError(err);
      }
    },
    async close() {
      closed = true;
      migrated = false;
      clearTimeout(retry);
      // a client stuck on a silent server never finishes ending: do not let it hold up shutdown
      await withDeadline(pool.end(), timeoutMs, 'users close').catch(() => {});
    },
  };
}
