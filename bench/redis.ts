import { findRedisServer, type RedisServer, startRedisServer } from '../scripts/lib/redis-server';

/** Starts a throwaway redis-server on a free loopback port, no persistence; undefined if none installed. */
export async function startRedis(): Promise<RedisServer | undefined> {
  return findRedisServer() ? startRedisServer() : undefined;
}
