import pg, { type QueryResultRow } from 'pg';
import { UserStoreUnavailableError, withDeadline } from '../errors';
import type { Logger } from '../logger';
import { describe, userStoreError } from './postgres-errors';
import { migrateUsers } from './postgres-migrations';
import { redactUrl } from './postgres-url';
import type { NewUser, User, UserStore } from './types';

export interface PostgresUserStoreOptions {
  /** postgres://user:password@host:port/db?sslmode=…; the password is never logged */
  url: string;
  poolSize: number;
  /** deadline for every query, on the server (statement_timeout) and here */
  timeoutMs: number;
  logger: Logger;
}

export interface PostgresUserStore extends UserStore {
  /** resolves when PostgreSQL answers and the migrations have run; rejects with UserStoreUnavailableError */
  ping(): Promise<void>;
  close(): Promise<void>;
}

interface Row {
  id: string; // bigint arrives as a string
  username: string;
  password_hash: string;
  created_at: string;
  generation: number;
}

const COLUMNS = 'id, username, password_hash, created_at, generation';
const LOG_INTERVAL_MS = 10_000; // a down server fails every retry: one line per interval is enough
const RETRY_MAX_MS = 2000;

function toUser(row: Row | undefined): User | undefined {
  if (!row) return undefined;
  return {
    id: Number(row.id), // ids stay far below 2^53
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    generation: row.generation,
  };
}

/**
 * Users in PostgreSQL, shared by every instance. Returns at once: migrations run on the first successful
 * connection and are retried in the background until then; meanwhile, and whenever PostgreSQL is down or
 * silent, every call fails within timeoutMs with UserStoreUnavailableError.
 */
export function createPostgresUserStore({
  url,
  poolSize,
  timeoutMs,
  logger,
}: PostgresUserStoreOptions): PostgresUserStore {
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
      logger.info({ database: where }, 'postgres user store ready');
    } catch (err) {
      if (closed) return;
      warn(err, 'postgres user store not ready; retrying');
      retry = setTimeout(() => void migrate(Math.min(delay * 2, RETRY_MAX_MS)), delay);
      retry.unref();
    }
  };
  void migrate(100);

  const query = async <R extends QueryResultRow>(what: string, text: string, values: unknown[] = []) => {
    if (!migrated) throw new UserStoreUnavailableError(closed ? 'closed' : 'users: not migrated yet');
    try {
      return (await withDeadline(pool.query<R>(text, values), timeoutMs, `users ${what}`)).rows;
    } catch (err) {
      throw userStoreError(err);
    }
  };

  return {
    async findByUsername(username) {
      return toUser(
        (await query<Row>('find', `SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]))[0],
      );
    },
    async findById(id) {
      return toUser((await query<Row>('find', `SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]))[0]);
    },
    async create({ username, passwordHash, createdAt }: NewUser) {
      // the unique index settles two signups racing for one name, across instances too
      const rows = await query<Row>(
        'create',
        `INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
        [username, passwordHash, createdAt],
      );
      return toUser(rows[0]);
    },
    async setPasswordHash(id, passwordHash) {
      await query('setPasswordHash', 'UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
    },
    async bumpGeneration(id) {
      const rows = await query<{ generation: number }>(
        'bumpGeneration',
        'UPDATE users SET generation = generation + 1 WHERE id = $1 RETURNING generation',
        [id],
      );
      if (!rows[0]) throw new Error(`bumpGeneration: no user ${id}`);
      return rows[0].generation;
    },
    async delete(id) {
      return (await query('delete', 'DELETE FROM users WHERE id = $1 RETURNING id', [id])).length > 0;
    },
    async ping() {
      await query('ping', 'SELECT 1');
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
