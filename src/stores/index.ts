import type { Config } from '../config';
import type { Logger } from '../logger';
import { MemorySessionStore } from './memory';
import { RedisSessionStore } from './redis';
import { SqliteSessionStore } from './sqlite';
import type { SessionStore } from './types';

export type { SessionStore };

/** Builds the session store that config.store.kind names; redis connects in the background. */
export async function createSessionStore(config: Config, logger: Logger): Promise<SessionStore> {
  // the idle lifetime for cookies without an expiry; ended sessions refuse writes as long as a lock can be held
  const lifetimes = { ttlMs: config.session.maxAgeMs, tombstoneMs: config.lock.ttlMs };
  switch (config.store.kind) {
    case 'memory':
      if (config.production)
        logger.warn('SESSION_STORE=memory: sessions are lost on restart and not shared between instances');
      return new MemorySessionStore({ ...lifetimes, maxSessions: config.store.memoryMaxSessions });
    case 'sqlite':
      return new SqliteSessionStore({
        ...lifetimes,
        path: config.store.sqlitePath,
        maxSessions: config.store.sqliteMaxSessions,
      });
    case 'redis':
      return new RedisSessionStore({
        ...lifetimes,
        url: config.store.redisUrl,
        prefix: config.store.redisPrefix,
        timeoutMs: config.store.timeoutMs,
        logger,
      });
  }
}
