import { newLoginId, SEEN_EVERY_MS } from './login-id';
import { openUserPool, type PoolOptions, type Query } from './postgres-pool';
import { type LoginRow, toLogin, toUser, type UserRow } from './rows';
import type { Login, LoginLifetimes, NewLogin, NewUser, UserStore } from './types';

export interface PostgresUserStoreOptions extends PoolOptions {
  lifetimes: LoginLifetimes;
}

export interface PostgresUserStore extends UserStore {
  /** resolves when PostgreSQL answers and the migrations have run; rejects with UserStoreUnavailableError */
  ping(): Promise<void>;
  /** resolves once the migrations have run (never rejects: they are retried until then) */
  readonly ready: Promise<void>;
  close(): Promise<void>;
  /** runs work in one transaction (the upgrade from the per-user session index) */
  transaction<T>(what: string, work: (query: Query) => Promise<T>): Promise<T>;
}

const USER = 'id, username, password_hash, created_at';
const LOGIN = 'l.id, l.user_id, l.created_at, l.last_seen_at, l.auth_at, l.device, l.ip, l.persistent';
// live: seen within the idle lifetime ($2) and created within the absolute one ($3)
const LIVE = 'l.last_seen_at > $2 AND l.created_at > $3';

// one statement of its own: under READ COMMITTED the next statement sees what a transaction it
// waited for committed
const lockUser = (q: Query, userId: number) =>
  q('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);

/**
 * Users and their logins in PostgreSQL, shared by every instance. Returns at once: migrations run on
 * the first successful connection and are retried in the background; meanwhile, and whenever
 * PostgreSQL is down or silent, every call fails within timeoutMs with UserStoreUnavailableError.
 * Every transaction that ends a user's logins (an action by a login, the cap at a new login) first
 * locks the user's row, so two of them for one user run one after the other instead of deadlocking
 * (a deadlock is only found after deadlock_timeout, 1 s, past the usual deadline). An action by a
 * login then checks its own row (FOR KEY SHARE) in a statement of its own, which sees what the one
 * before committed: a login ended meanwhile cannot act, and of two logins ending each other at once
 * the second finds itself gone.
 */
export function createPostgresUserStore({
  lifetimes,
  ...options
}: PostgresUserStoreOptions): PostgresUserStore {
  const { query, transaction, ready, close } = openUserPool(options);
  const live = (now: number) => [now - lifetimes.idleMs, now - lifetimes.maxAgeMs];
  const user = async (what: string, text: string, values: unknown[]) => {
    const row = (await query<UserRow>(what, text, values))[0];
    return row && toUser(row);
  };
  const asActor = <T>(what: string, actor: string, userId: number, act: (q: Query) => Promise<T>) =>
    transaction(what, async (q) => {
      await lockUser(q, userId);
      const own = await q('SELECT 1 FROM logins WHERE id = $1 AND user_id = $2 FOR KEY SHARE', [
        actor,
        userId,
      ]);
      return own.length > 0 ? act(q) : undefined;
    });

  return {
    ready,
    close,
    transaction,
    findByUsername: (username) => user('find', `SELECT ${USER} FROM users WHERE username = $1`, [username]),
    // the unique index settles two signups racing for one name, across instances too
    create: ({ username, passwordHash, createdAt }: NewUser) =>
      user(
        'create',
        `INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO NOTHING RETURNING ${USER}`,
        [username, passwordHash, createdAt],
      ),
    async setPasswordHash(id, passwordHash) {
      await query('setPasswordHash', 'UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
    },
    startLogin(login: NewLogin, maxPerUser: number) {
      const row: Login = { id: newLoginId(), lastSeenAt: login.createdAt, authAt: login.createdAt, ...login };
      const now = row.lastSeenAt;
      return transaction('startLogin', async (q) => {
        await lockUser(q, row.userId); // the cap ends logins too
        await q(
          `INSERT INTO logins (id, user_id, created_at, last_seen_at, auth_at, device, ip, persistent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [row.id, row.userId, row.createdAt, now, row.authAt, row.device, row.ip, row.persistent],
        );
        await q(`DELETE FROM logins l WHERE l.user_id = $1 AND NOT (${LIVE})`, [row.userId, ...live(now)]);
        // the new one aside: on a tie in last_seen_at the order alone could pick it
        await q(
          `DELETE FROM logins WHERE id IN (SELECT id FROM logins WHERE user_id = $1 AND id <> $2
           ORDER BY last_seen_at DESC OFFSET $3)`,
          [row.userId, row.id, maxPerUser - 1],
        );
        return row;
      });
    },
    async findLogin(id, now) {
      const rows = await query<
        LoginRow & { username: string; password_hash: string; user_created_at: string }
      >(
        'findLogin',
        `SELECT ${LOGIN}, u.username, u.password_hash, u.created_at AS user_created_at
         FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = $1 AND ${LIVE}`,
        [id, ...live(now)],
      );
      const row = rows[0];
      if (!row) return undefined;
      const login = toLogin(row);
      if (login.lastSeenAt <= now - SEEN_EVERY_MS)
        await query('seen', 'UPDATE logins SET last_seen_at = $1 WHERE id = $2', [now, id]);
      return { login, user: toUser({ ...row, id: row.user_id, created_at: row.user_created_at }) };
    },
    async listLogins(userId, now) {
      const rows = await query<LoginRow>(
        'listLogins',
        `SELECT ${LOGIN} FROM logins l WHERE l.user_id = $1 AND ${LIVE} ORDER BY l.last_seen_at DESC`,
        [userId, ...live(now)],
      );
      return rows.map(toLogin);
    },
    async endLogin(id) {
      await query('endLogin', 'DELETE FROM logins WHERE id = $1', [id]);
    },
    endOtherLogin: (actor, userId, target) =>
      asActor('endOtherLogin', actor, userId, async (q) => {
        const gone = await q('DELETE FROM logins WHERE user_id = $1 AND id = $2 AND id <> $3 RETURNING id', [
          userId,
          target,
          actor,
        ]);
        return gone.length > 0;
      }),
    endOtherLogins: (actor, userId) =>
      asActor('endOtherLogins', actor, userId, async (q) => {
        const gone = await q('DELETE FROM logins WHERE user_id = $1 AND id <> $2 RETURNING id', [
          userId,
          actor,
        ]);
        return gone.length;
      }),
    changePassword: (actor, userId, passwordHash) =>
      asActor('changePassword', actor, userId, async (q) => {
        await q('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
        const gone = await q('DELETE FROM logins WHERE user_id = $1 AND id <> $2 RETURNING id', [
          userId,
          actor,
        ]);
        return gone.length;
      }),
    async confirmPassword(actor, now) {
      const rows = await query(
        'confirmPassword',
        'UPDATE logins SET auth_at = $1 WHERE id = $2 RETURNING id',
        [now, actor],
      );
      return rows.length > 0;
    },
    async deleteUser(actor, userId) {
      const done = await asActor('deleteUser', actor, userId, async (q) => {
        const gone = await q('DELETE FROM users WHERE id = $1 RETURNING id', [userId]); // logins cascade
        return gone.length > 0;
      });
      return done === true;
    },
    async usernamesOf(loginIds) {
      const rows = await query<{ id: string; username: string }>(
        'usernamesOf',
        'SELECT l.id, u.username FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = ANY($1::text[])',
        [loginIds],
      );
      return new Map(rows.map((r) => [r.id, r.username]));
    },
    async pruneLogins(now) {
      const rows = await query(
        'pruneLogins',
        'DELETE FROM logins WHERE last_seen_at <= $1 OR created_at <= $2 RETURNING id',
        live(now),
      );
      return rows.length;
    },
    async ping() {
      await query('ping', 'SELECT 1');
    },
  };
}
