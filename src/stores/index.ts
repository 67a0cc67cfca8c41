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
    case 'redis': {
      const store = new RedisSessionStore({
        url: config.store.redisUrl,
        prefix: config.store.redisPrefix,
        timeoutMs: config.store.timeoutMs,
        maxSessions: config.store.redisMaxSessions,
        ttlMs: config.session.maxAgeMs, // a cookie without an expiry lives the idle lifetime
        tombstoneMs: config.lock.ttlMs, // a revoke outlasts any request still holding the session
        logger,
      });
      moveLegacyOnceReady(store, logger);
      return store;
    }
  }
}

/**
 * Once connected, moves the sessions the previous version stored under their plain IDs to their
 * hashes, so the per-user index holds them all. Goes with the plain-key fallback (docs/stores.md).
 */
function moveLegacyOnceReady(store: RedisSessionStore, logger: Logger): void {
  store.client.once('ready', () =>
    store.moveLegacySessions().then(
      (moved) => void (moved > 0 && logger.info({ moved }, 'redis: sessions moved to hashed keys')),
      (err: Error) =>
        logger.warn(
          { err: { name: err.name, message: err.message } },
          'redis: moving plain-key sessions failed; each moves on its first read',
        ),
    ),
  );
}
