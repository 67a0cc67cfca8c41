import type { Config } from './config';
import { StartError } from './errors';
import { MemoryLock, RedisLock, type SessionLock, SqliteLock } from './lock';
import type { Logger } from './logger';
import { type AttemptLimiter, createAttemptLimiter } from './login/throttle';
import { assertWritable, type Database, openDatabase } from './sqlite-file';
import { MemorySessionStore } from './stores/memory';
import { RedisSessionStore } from './stores/redis';
import { moveLegacyOnceReady } from './stores/redis-upgrade';
import { SqliteSessionStore } from './stores/sqlite';
import type { SessionStore } from './stores/types';
import { createPostgresUserStore } from './users/postgres';
import { SqliteUserStore } from './users/sqlite';
import type { UserStore } from './users/types';

type Check = () => Promise<void>;

/** Everything the app needs from outside the process, and how to let go of it. */
export interface Backends {
  store: SessionStore;
  /** serializes the requests of one session; shared wherever the sessions are shared */
  lock: SessionLock;
  /** login attempt counters; in Redis when sessions are, so every instance counts together */
  limiter: AttemptLimiter;
  users: UserStore;
  /** readiness probes by name: each resolves when its backend can serve (and write) */
  checks: { sessions: Check; users: Check };
  /** closes the sessions, then the users, then the SQLite file they may share; safe to call twice */
  close(): Promise<void>;
}

type Sessions = Pick<Backends, 'store' | 'lock' | 'limiter'>;
type Users = { users: UserStore; check: Check; close?: () => Promise<void> };

/**
 * Builds the session store, lock, limiter and user store that config names, and the only place that
 * knows which goes with which. Fails with StartError when the SQLite file cannot be opened or written;
 * Redis (and PostgreSQL) connect in the background, so the server starts while they are down.
 */
export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  let db: Database | undefined;
  const sqlite = () => (db ??= openSqlite(config.store.sqlitePath)); // opened only if something lives there
  warn(config, logger);
  const users = userBackend(config, logger, sqlite);
  const { store, lock, limiter } = sessionBackend(config, logger, sqlite);
  let closing: Promise<void> | undefined;
  const close = async () => {
    lock.close?.(); // its timers first: it writes through the store's file
    await store.close().catch((err) => logger.error({ err }, 'closing the session store failed'));
    await users.close?.().catch((err) => logger.error({ err }, 'closing the user store failed'));
    if (db?.open) db.close(); // last: the session and user stores may both use it
  };
  return {
    store,
    lock,
    limiter,
    users: users.users,
    checks: { sessions: () => store.ping(), users: users.check },
    close: () => (closing ??= close()),
  };
}

function sessionBackend(config: Config, logger: Logger, sqlite: () => Database): Sessions {
  const local = () => ({ lock: new MemoryLock(config.lock), limiter: createAttemptLimiter(config) });
  // the idle lifetime for cookies without an expiry; ended sessions refuse writes as long as a lock can be held
  const lifetimes = { ttlMs: config.session.maxAgeMs, tombstoneMs: config.lock.ttlMs };
  switch (config.store.kind) {
    case 'memory':
      return {
        store: new MemorySessionStore({ ...lifetimes, maxSessions: config.store.memoryMaxSessions }),
        ...local(),
      };
    case 'sqlite': {
      const store = new SqliteSessionStore({
        ...lifetimes,
        db: sqlite(),
        maxSessions: config.store.sqliteMaxSessions,
      });
      // in the file itself, so processes sharing it serialize each session too
      const lock = new SqliteLock({ ...config.lock, db: store.db, logger });
      return { store, lock, limiter: createAttemptLimiter(config) };
    }
    case 'redis': {
      const { redisUrl: url, redisPrefix: prefix, timeoutMs } = config.store;
      const maxSessions = config.store.redisMaxSessions;
      const store = new RedisSessionStore({ ...lifetimes, url, prefix, timeoutMs, maxSessions, logger });
      moveLegacyOnceReady(store, logger);
      return {
        store,
        lock: redisLock(config, store, logger),
        limiter: createAttemptLimiter(config, store.client),
      };
    }
  }
}

/** The lock for a Redis store: on its client, so every instance on that Redis takes the same lock. */
export function redisLock(config: Config, store: RedisSessionStore, logger: Logger): RedisLock {
  return new RedisLock({
    ...config.lock,
    client: store.client,
    prefix: `lock:${config.store.redisPrefix}`, // outside the session prefix: a scan of sessions never sees locks
    timeoutMs: config.store.timeoutMs,
    logger,
  });
}

function userBackend(config: Config, logger: Logger, sqlite: () => Database): Users {
  const { databaseUrl: url, databasePoolSize: poolSize } = config.users;
  if (url) {
    // connects and migrates in the background: the server starts while PostgreSQL is down
    const users = createPostgresUserStore({ url, poolSize, timeoutMs: config.store.timeoutMs, logger });
    return { users, check: () => users.ping(), close: () => users.close() };
  }
  const db = sqlite();
  return { users: new SqliteUserStore(db), check: async () => assertWritable(db) };
}

/** The SQLite file, open and writable, or a StartError that says which and why in one line. */
function openSqlite(path: string): Database {
  let db: Database | undefined;
  try {
    db = openDatabase(path);
    assertWritable(db); // a read-only file opens; it fails on the first write
    return db;
  } catch (err) {
    db?.close();
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
