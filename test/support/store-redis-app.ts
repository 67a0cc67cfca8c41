import type { Express } from 'express';
import { createApp } from '../../src/app';
import type { Config } from '../../src/config';
import { RedisLock } from '../../src/lock/redis';
import type { SessionLock } from '../../src/lock/types';
import { createAttemptLimiter } from '../../src/login/throttle';
import { redisError } from '../../src/redis';
import { HashedKeyStore } from '../../src/stores/hashed-keys';
import type { RedisSessionStore } from '../../src/stores/redis';
import type { UserStore } from '../../src/users/types';
import { memoryUsers, silentLogger, testConfig } from '../helper';

/** The lock createBackends gives a Redis store: on the store's client, under `lock:<prefix>`. */
export function redisLockOn(backend: RedisSessionStore, config: Config = testConfig()): RedisLock {
  return new RedisLock({
    ...config.lock,
    client: backend.redis,
    prefix: `lock:${config.store.redisPrefix}`,
    timeoutMs: config.store.timeoutMs,
    logger: silentLogger,
  });
}

/**
 * One instance of the app on a Redis backend, wired as createBackends wires SESSION_STORE=redis:
 * Redis errors are 503s, the lock and the login counters are on the same client. `lock: 'none'`
 * leaves requests unserialized (to show the problem the lock solves); users default to their own
 * in-memory SQLite, so instances that share users are given one.
 */
export function redisApp(
  backend: RedisSessionStore,
  {
    config = testConfig({ SESSION_STORE: 'redis' }),
    users = memoryUsers(config),
    lock = redisLockOn(backend, config),
  }: { config?: Config; users?: UserStore; lock?: SessionLock | 'none' } = {},
): Express {
  const store = new HashedKeyStore(backend, config.store.timeoutMs, redisError);
  return createApp({
    config,
    store,
    users,
    lock: lock === 'none' ? { acquire: async () => () => {} } : lock,
    limiter: createAttemptLimiter(config, backend.redis),
    logger: silentLogger,
  });
}
