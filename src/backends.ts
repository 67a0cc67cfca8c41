import type { Config } from './config';
import { MemoryLock } from './lock/memory';
import type { SessionLock } from './lock/types';
import type { Logger } from './logger';
import { type AttemptLimiter, createAttemptLimiter } from './login/throttle';
import type { RedisClient } from './redis';
import { openClaimedFile } from './sqlite/claim';
import { assertWritable, type Database } from './sqlite/database';
import { HashedKeyStore } from './stores/hashed-keys';
import { MemorySessionStore } from './stores/memory';
import { SqliteSessionStore } from './stores/sqlite';
import type { SessionBackend } from './stores/types';
import { SqliteUserStore } from './users/sqlite';
import type { UserStore } from './users/types';

/** Everything the app needs from outside the process, and how to let go of it. */
export interface Backends {
  store: HashedKeyStore;
  lock: SessionLock; // serializes one session's requests wherever the sessions are shared
  limiter: AttemptLimiter; // the login attempt counters, in Redis when sessions are
  users: UserStore;
  checks: { sessions: () => Promise<void>; users: () => Promise<void> }; // readiness: can serve and write
  close(): Promise<void>; // the sessions, then the users, then the SQLite file; safe to call twice
}

const PRUNE_EVERY_MS = 60_000;

/** The session backend and its lock; with Redis, the client they share and what its errors mean. */
type Sessions = { backend: SessionBackend; lock: SessionLock; client?: RedisClient; classify?: Classify };
type Classify = (err: unknown) => unknown;

/**
 * Builds the session store, lock, limiter and user store that config names: the only place that knows
 * which goes with which, and that loads the Redis client or `pg` (only when config names them). Fails
 * with StartError when the SQLite file is claimed or cannot be written; Redis and PostgreSQL connect in
 * the background, so the server starts while they are down.
 */
export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  const { store: s } = config;
  const closers: Array<() => unknown> = []; // run last to first
  const closeAll = async () => {
    for (const step of closers.reverse())
      await Promise.resolve(step()).catch((err) => logger.error({ err }, 'close failed'));
  };
  try {
    warnInProduction(config, logger);
    const file =
      s.kind === 'sqlite' || !config.users.databaseUrl
        ? await openClaimedFile(s.sqlitePath, s.sqliteClaimWaitMs, config.lock.ttlMs)
        : undefined;
    if (file) closers.push(file.close);
    const users = await userStore(config, logger, file?.db);
    closers.push(users.close);
    const sessions = await sessionsFor(config, logger, file?.db);
    closers.push(() => sessions.backend.close());
    const store = new HashedKeyStore(sessions.backend, s.timeoutMs, sessions.classify);
    const prune = setInterval(() => void users.users.pruneLogins(Date.now()).catch(() => {}), PRUNE_EVERY_MS);
    prune.unref(); // it never keeps the process up
    closers.push(() => clearInterval(prune));
    let closing: Promise<void> | undefined;
    return {
      store,
      lock: sessions.lock,
      limiter: createAttemptLimiter(config, sessions.client),
      users: users.users,
      checks: { sessions: () => store.ping(), users: users.check },
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function sessionsFor(config: Config, logger: Logger, db?: Database): Promise<Sessions> {
  const { store: s, session } = config;
  const ttlMs = session.maxAgeMs;
  if (s.kind !== 'redis') {
    const backend =
      s.kind === 'sqlite'
        ? new SqliteSessionStore({ db: db as Database, maxSessions: s.sqliteMaxSessions, ttlMs })
        : new MemorySessionStore({ maxSessions: s.memoryMaxSessions, ttlMs });
    return { backend, lock: new MemoryLock(config.lock) };
  }
  const [{ createRedisClient, redisError }, { RedisSessionStore }, { RedisLock }] = await Promise.all([
    import('./redis'),
    import('./stores/redis'),
    import('./lock/redis'),
  ]);
  const { redisPrefix: prefix, timeoutMs } = s;
  const client = createRedisClient(s.redisUrl, timeoutMs, logger);
  const backend = new RedisSessionStore({
    client,
    prefix,
    ttlMs,
    timeoutMs,
    maxSessions: s.redisMaxSessions,
  });
  // the lock on the same client, so every instance takes the same lock; outside the session prefix, so a
  // scan of sessions never meets a lock
  const lock = new RedisLock({ ...config.lock, client, prefix: `lock:${prefix}`, timeoutMs, logger });
  return { backend, lock, client, classify: redisError };
}

async function userStore(config: Config, logger: Logger, db?: Database) {
  const lifetimes = { idleMs: config.session.maxAgeMs, maxAgeMs: config.login.maxAgeMs };
  const { databaseUrl: url, databasePoolSize: poolSize } = config.users;
  if (!url) {
    const file = db as Database;
    const users: UserStore = new SqliteUserStore(file, lifetimes);
    return { users, check: async () => assertWritable(file), close: () => {} };
  }
  // connects and migrates in the background: the server starts while PostgreSQL is down
  const { createPostgresUserStore } = await import('./users/postgres');
  const { timeoutMs } = config.store;
  const users = createPostgresUserStore({ url, poolSize, timeoutMs, logger, lifetimes });
  return { users, check: () => users.ping(), close: () => users.close() };
}

function warnInProduction(config: Config, logger: Logger): void {
  if (!config.production) return;
  if (config.store.kind === 'memory')
    logger.warn('SESSION_STORE=memory: sessions are lost on restart and not shared between instances');
  if (config.store.kind === 'redis' && !config.users.databaseUrl)
    logger.warn(
      'SESSION_STORE=redis with users in SQLite: users are per machine; set DATABASE_URL to share them',
    );
}
