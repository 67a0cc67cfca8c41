import { findRedisServer, type RedisServer, startRedisServer } from '../../scripts/lib/redis-server';
import { RedisSessionStore, type RedisStoreOptions } from '../../src/stores/redis';
import { silentLogger } from '../helper';
import { serviceAvailable } from './service';

export type { RedisServer };
export { findRedisServer };

/** Whether a suite needing Redis runs: see serviceAvailable for the skip and CI rule. */
export function redisAvailable(suite: string): boolean {
  return serviceAvailable(suite, findRedisServer() ? undefined : 'redis-server not found');
}

/** A redis-server the test owns on a free loopback port, without persistence; `args` add options. */
export function startRedis(args: string[] = []): Promise<RedisServer> {
  return startRedisServer({ args });
}

/** Resolves on the client's next 'ready'. Not events.once: that rejects on the 'error' each failed reconnect emits. */
export function nextReady(client: { once(event: 'ready', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** A session store on the test's Redis, connected; the caller closes it. */
export async function connectedRedisStore(
  url: string,
  prefix = 'sess:',
  options: Partial<RedisStoreOptions> = {},
): Promise<RedisSessionStore> {
  const store = new RedisSessionStore({
    url,
    prefix,
    timeoutMs: 1000,
    maxSessions: 100_000,
    ttlMs: 86_400_000,
    logger: silentLogger,
    ...options,
  });
  if (!store.client.isReady) await nextReady(store.client);
  return store;
}
