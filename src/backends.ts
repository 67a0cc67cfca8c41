import type { Config } from './config';
import { StartError } from './errors';
import { MemoryLock } from './lock/memory';
import type { SessionLock } from './lock/types';
import type { Logger } from './logger';
import { type AttemptLimiter, createAttemptLimiter } from './login/throttle';
import type { RedisClient } from './redis';
import { assertNoOlderServer, claimFile } from './sqlite/claim';
import { assertWritable, type Database, openDatabase } from './sqlite/database';
import { HashedKeyStore } from './stores/hashed-keys';
import { MemorySessionStore } from './stores/memory';
import { SqliteSessionStore } from './stores/sqlite';
import type { SessionBackend } from './stores/types';
import { SqliteUserStore } from './users/sqlite';
import type { UserStore } from './users/types';

type Check = () => Promise<void>;

/** Everything the app needs from outside the process, and how to let go of it. */
export interface Backends {
  store: HashedKeyStore;
  /** serializes the requests of one session; shared wherever the sessions are shared */
  lock: SessionLock;
  /** login attempt counters; in Redis when sessions are, so every instance counts together */
  limiter: AttemptLimiter;
  users: UserStore;
  /** readiness probes by name: each resolves when its backend can serve (and write) */
  checks: { sessions: Check; users: Check };
  /** closes the sessions, then the users, then the SQLite file; safe to call twice */
  close(): Promise<void>;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Builds the session store, lock, limiter and user store that config names: the only place that
 * knows which goes with which, and the only one that loads the Redis client or `pg`, and only when
 * config names them. Fails with StartError when the SQLite file is claimed by another server or
 * cannot be written; Redis and PostgreSQL connect in the background, so the server starts while
 * they are down.
 */
export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const step of closers.reverse())
      await Promise.resolve(step()).catch((err) => logger.error({ err }, 'close failed'));
  };
  try {
    return await open(config, logger, closers, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function open(
  config: Config,
  logger: Logger,
  closers: Array<() => unknown>,
  close: () => Promise<void>,
) {
  const { store: s, users: u } = config;
  const needsFile = s.kind === 'sqlite' || !u.databaseUrl;
  warn(config, logger);
  const db = needsFile ? await openSqlite(config, closers) : undefined;
  const redis = s.kind === 'redis' ? await redisClient(config, logger) : undefined;

  const users = await userStore(config, logger, db, closers);
  const backend = await sessionBackend(config, db, redis);
  closers.push(() => backend.close());

  const store = new HashedKeyStore(
    backend,
    s.timeoutMs,
    redis ? (await import('./redis')).redisError : undefined,
  );
  const lock = redis ? await redisLock(config, redis, logger) : new MemoryLock(config.lock);
  const limiter = createAttemptLimiter(config, redis);
  const prune = setInterval(() => void users.users.pruneLogins(Date.now()).catch(() => {}), PRUNE_EVERY_MS);
  prune.unref(); // it never keeps the process up
  closers.push(() => clearInterval(prune));
  let closing: Promise<void> | undefined;
  return {
    store,
    lock,
    limiter,
    users: users.users,
    checks: { sessions: () => store.ping(), users: users.check },
    close: () => (closing ??= close()),
  };
}

async function sessionBackend(config: Config, db?: Database, redis?: RedisClient): Promise<SessionBackend> {
  const { store, session } = config;
  if (store.kind === 'memory')
    return new MemorySessionStore({ maxSessions: store.memoryMaxSessions, ttlMs: session.maxAgeMs });
  if (store.kind === 'sqlite' && db)
    return new SqliteSessionStore({ db, maxSessions: store.sqliteMaxSessions, ttlMs: session.maxAgeMs });
  const { RedisSessionStore } = await import('./stores/redis');
  return new RedisSessionStore({
    client: redis as RedisClient,
    prefix: store.redisPrefix,
    maxSessions: store.redisMaxSessions,
    ttlMs: session.maxAgeMs,
    timeoutMs: store.timeoutMs,
  });
}

async function redisClient(config: Config, logger: Logger): Promise<RedisClient> {
  const { createRedisClient } = await import('./redis');
  return createRedisClient(config.store.redisUrl, config.store.timeoutMs, logger);
}

/** The lock for a Redis store: on its client, so every instance on that Redis takes the same lock. */
async function redisLock(config: Config, client: RedisClient, logger: Logger): Promise<SessionLock> {
  const { RedisLock } = await import('./lock/redis');
  return new RedisLock({
    ...config.lock,
    client,
    prefix: `lock:${config.store.redisPrefix}`, // outside the session prefix: a scan of sessions never sees locks
    timeoutMs: config.store.timeoutMs,
    logger,
  });
}

async function userStore(
  config: Config,
  logger: Logger,
  db: Database | undefined,
  closers: Array<() => unknown>,
) {
  const lifetimes = { idleMs: config.session.maxAgeMs, maxAgeMs: config.login.maxAgeMs };
  const { databaseUrl: url, databasePoolSize: poolSize } = config.users;
  if (!url) {
    const file = db as Database;
    return {
      users: new SqliteUserStore(file, lifetimes) as UserStore,
      check: async () => assertWritable(file),
    };
  }
  // connects and migrates in the background: the server starts while PostgreSQL is down
  const { createPostgresUserStore } = await import('./users/postgres');
  const users = createPostgresUserStore({
    url,
    poolSize,
    timeoutMs: config.store.timeoutMs,
    logger,
    lifetimes,
  });
  closers.push(() => users.close());
  return { users, check: () => users.ping() };
}

/** The SQLite file, claimed for this process, open and writable, or a StartError that says why in one line. */
async function openSqlite(config: Config, closers: Array<() => unknown>): Promise<Database> {
  const path = config.store.sqlitePath;
  if (path !== ':memory:') {
    const release = await claimFile(path, config.store.sqliteClaimWaitMs);
    closers.push(release);
  }
  let db: Database | undefined;
  try {
    db = openDatabase(path);
    closers.push(() => db?.open && db.close());
    assertNoOlderServer(db, path, config.lock.ttlMs);
    assertWritable(db); // a read-only file opens; it fails on the first write
    return db;
  } catch (err) {
    if (err instanceof StartError) throw err;
    const { code, message } = err as { code?: string; message?: string };
    const what = db || code?.startsWith('SQLITE_READONLY') ? 'written' : 'opened';
    throw new StartError(
      `database ${path} cannot be ${what} (${code ?? message}): check the file and its directory`,
      {
        cause: err,
      },
    );
  }
}

function warn(config: Config, logger: Logger): void {
  if (!config.production) return;
  if (config.store.kind === 'memory')
    logger.warn('SESSION_STORE=memory: sessions are lost on restart and not shared between instances');
  if (config.store.kind === 'redis' && !config.users.databaseUrl)
    logger.warn(
      'SESSION_STORE=redis with users in SQLite: users are per machine; set DATABASE_URL to share them',
    );
}
