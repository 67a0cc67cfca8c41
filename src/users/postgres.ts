import { openUserPool, type PoolOptions } from './postgres-pool';
import type { NewUser, User, UserStore } from './types';

export type PostgresUserStoreOptions = PoolOptions;

export interface PostgresUserStore extends UserStore {
  /** resolves when PostgreSQL answers and the migrations have run; rejects with UserStoreUnavailableError */
  ping(): Promise<void>;
  /** resolves once the migrations have run (never rejects: they are retried until then) */
  readonly ready: Promise<void>;
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
export function createPostgresUserStore(options: PostgresUserStoreOptions): PostgresUserStore {
  const { query, ready, close } = openUserPool(options);
  const one = async (what: string, text: string, values: unknown[]) =>
    toUser((await query<Row>(what, text, values))[0]);

  return {
    ready,
    close,
    findByUsername: (username) => one('find', `SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]),
    findById: (id) => one('find', `SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]),
    // the unique index settles two signups racing for one name, across instances too
    create: ({ username, passwordHash, createdAt }: NewUser) =>
      one(
        'create',
        `INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
        [username, passwordHash, createdAt],
      ),
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
  };
}
