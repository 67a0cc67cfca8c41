import type { Config } from '../config';
import type { Logger } from '../logger';
import { RedisSessionStore } from '../stores/redis';
import { SqliteSessionStore } from '../stores/sqlite';
import type { SessionStore } from '../stores/types';
import { MemoryLock } from './memory';
import { RedisLock } from './redis';
import { SqliteLock } from './sqlite';
import type { SessionLock } from './types';

/**
 * The lock that matches the store: in Redis when instances share a Redis store, in the SQLite file
 * when processes may share that file, else in this process.
 */
export function createSessionLock(config: Config, store: SessionStore, logger: Logger): SessionLock {
  if (store instanceof SqliteSessionStore) return new SqliteLock({ ...config.lock, db: store.db, logger });
  if (!(store instanceof RedisSessionStore)) return new MemoryLock(config.lock);
  return new RedisLock({
    ...config.lock,
    client: store.client,
    prefix: `lock:${config.store.redisPrefix}`, // outside the session prefix: a scan of sessions never sees locks
    timeoutMs: config.store.timeoutMs,
    logger,
  });
}
