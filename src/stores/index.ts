import type { Config } from '../config';
import type { Logger } from '../logger';
import { MemorySessionStore } from './memory';
import { RedisSessionStore } from './redis';
import { SqliteSessionStore } from './sqlite';
import type { SessionStore } from './types';

export type { SessionStore };

/** Builds the session store that config.store.kind names; redis connects in the background. */
export async function createSessionStore(config: Config, logger: Logger): Promise<SessionStore> {
  switch (config.store.kind) {
    case 'memory':
      if (config.production)
        logger.warn('SESSION_STORE=memory: sessions are lost on restart and not shared between instances');
      return new MemorySessionStore({ maxSessions: config.store.memoryMaxSessions });
    case 'sqlite':
      return new SqliteSessionStore({
        path: config.store.sqlitePath,
        maxSessions: config.store.sqliteMaxSessions,
      });
    case 'redis':
      return new RedisSessionStore({
        url: config.store.redisUrl,
        prefix: config.store.redisPrefix,
        timeoutMs: config.store.timeoutMs,
        maxSessions: config.store.redisMaxSessions,
        ttlMs: config.session.maxAgeMs, // a cookie without an expiry lives the idle lifetime
        tombstoneMs: config.lock.ttlMs, // a revoke outlasts any request still holding the session
        logger,
      });
  }
}
