import type { SessionData } from 'express-session';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { RedisClient } from '../redis';
import type { Database } from '../sqlite/database';
import type { SessionBackend } from '../stores/types';
import { newLoginId } from '../users/login-id';
import type { PostgresUserStore } from '../users/postgres';
import type { NewLogin, UserStore } from '../users/types';
import { moveSqliteLogins } from './sqlite-logins';

/** A session logged in under the previous version: the login lived in the session itself. */
export interface LegacySession extends SessionData {
  userId?: unknown;
  loginAt?: unknown;
  authAt?: unknown;
  generation?: unknown;
  ip?: unknown;
  device?: unknown;
  persistent?: unknown;
}

export interface UpgradeDeps {
  backend: SessionBackend;
  users: UserStore;
  db: Database | undefined;
  redis: RedisClient | undefined;
  config: Config;
  logger: Logger;
}

/** What the upgrade does with one legacy session: its login row, and the session as it is now stored. */
export interface Moved {
  login: NewLogin & { id: string };
  session: SessionData;
}

const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

/**
 * The previous version kept each login inside its session (userId, loginAt, …) and found a user's
 * sessions through an index in every store. Its logged-in sessions become login rows here, once, at
 * start, before that index is dropped: nobody is logged out by the upgrade. A session whose
 * generation is behind its user's had been revoked and stays logged out; so does one past its
 * lifetimes. Safe for two instances starting together (Redis: each session is rewritten by whichever
 * compares-and-sets it first). `expires`: when the store expires the session (ms).
 */
export async function legacyMove(
  deps: UpgradeDeps,
  data: LegacySession,
  expires: number,
  generationOf: (userId: number) => Promise<number | undefined>,
): Promise<Moved | undefined> {
  const { config } = deps;
  const now = Date.now();
  const { userId, loginAt } = data;
  if (typeof userId !== 'number' || typeof loginAt !== 'number') return undefined;
  if (loginAt + config.login.maxAgeMs <= now || expires <= now) return undefined;
  const current = await generationOf(userId);
  if (current === undefined || (typeof data.generation === 'number' ? data.generation : 0) < current)
    return undefined;
  const login = {
    id: newLoginId(),
    userId,
    createdAt: loginAt,
    lastSeenAt: Math.min(now, expires - config.session.maxAgeMs),
    authAt: typeof data.authAt === 'number' ? data.authAt : loginAt,
    device: text(data.device, 'unknown device'),
    ip: text(data.ip, ''),
    persistent: data.persistent !== false,
  };
  const { cookie, count, previousIdPrefix } = data;
  return { login, session: { cookie, count, previousIdPrefix, loginId: login.id } as SessionData };
}

/** Runs the upgrade for the store in use; says in the log how many logins it moved. */
export async function upgradeLogins(deps: UpgradeDeps): Promise<void> {
  const { config, db, redis, logger } = deps;
  const generationOf = await legacyGenerations(deps);
  const report = (moved: number) =>
    void (moved > 0 && logger.info({ moved }, 'upgrade: logged-in sessions moved to login rows'));
  if (config.store.kind === 'sqlite' && db) return report(await moveSqliteLogins(deps, db, generationOf));
  if (config.store.kind !== 'redis' || !redis) return;
  const { moveRedisLogins, readyWithin } = await import('./redis-logins'); // only with Redis
  const run = () => moveRedisLogins(deps, redis, generationOf).then(report);
  if (await readyWithin(redis, READY_WAIT_MS)) return run();
  redis.once('ready', () =>
    run().catch((err: Error) =>
      logger.warn({ err: { name: err.name, message: err.message } }, 'upgrade failed'),
    ),
  );
}

const READY_WAIT_MS = 2000;

/** Reads the generations the users migration set aside; undefined once they are gone (a run finished). */
async function legacyGenerations({ users, db }: UpgradeDeps) {
  const pg = users as Partial<PostgresUserStore>;
  if (pg.transaction) {
    const transaction = pg.transaction;
    return async (userId: number) => {
      await pg.ready;
      return transaction('legacy generation', async (q) => {
        const rows = await q<{ generation: number }>(
          'SELECT generation FROM legacy_generations WHERE user_id = $1',
          [userId],
        );
        return rows[0]?.generation ?? 0;
      }).catch(() => undefined);
    };
  }
  return async (userId: number) => {
    try {
      const row = db
        ?.prepare<[number], { generation: number }>(
          'SELECT generation FROM legacy_generations WHERE user_id = ?',
        )
        .get(userId);
      return row?.generation ?? 0;
    } catch {
      return undefined; // the table is gone: another run finished the upgrade
    }
  };
}
