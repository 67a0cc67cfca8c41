import { beforeAll } from 'vitest';
import { findRedisServer, type RedisServer, startRedisServer } from '../../scripts/lib/redis-server';
import { createRedisClient, type RedisClient } from '../../src/redis';
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

/**
 * One redis-server for the enclosing describe (or file), started in beforeAll and closed after all;
 * read its url only inside tests and hooks. `when: false` starts none (a suite that skips).
 */
export function useRedis({ args = [], when = true }: { args?: string[]; when?: boolean } = {}): RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    if (!when) return;
    server = await startRedis(args);
    return () => server?.close();
  });
  const get = () => {
    if (!server) throw new Error('redis-server not started');
    return server;
  };
  return {
    get url() {
      return get().url;
    },
    get port() {
      return get().port;
    },
    pid: () => get().pid(),
    stop: () => get().stop(),
    start: () => get().start(),
    pause: () => get().pause(),
    resume: () => get().resume(),
    close: async () => server?.close(),
  };
}

/** Resolves on the client's next 'ready'. Not events.once: that rejects on the 'error' each failed reconnect emits. */
export function nextReady(client: { once(event: 'ready', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** A node-redis client on the test's Redis, connected; the caller closes it. */
export async function connectedClient(url: string): Promise<RedisClient> {
  const client = createRedisClient(url, 1000, silentLogger);
  if (!client.isReady) await nextReady(client);
  return client;
}

/** A session backend on the test's Redis, its client connected; the caller closes it (and so the client). */
export async function connectedRedisStore(
  url: string,
  prefix = 'sess:',
  options: Partial<RedisStoreOptions> & { client?: RedisClient } = {},
): Promise<RedisSessionStore> {
  return new RedisSessionStore({
    client: options.client ?? (await connectedClient(url)),
    prefix,
    timeoutMs: 1000,
    maxSessions: 100_000,
    ttlMs: 86_400_000,
    ...options,
  });
}
