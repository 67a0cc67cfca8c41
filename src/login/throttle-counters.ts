import { LRUCache } from 'lru-cache';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../redis';

/** One kind of attempt counter (per user, per IP, ...): fixed windows from the first counted attempt. */
interface Counter {
  consume(key: string): Promise<number | undefined>; // counts one; past the limit, the ms left in the window
  reward(key: string): Promise<void>; // gives one back; never creates a counter
  delete(key: string): Promise<void>;
}

export type CounterFactory = (prefix: string, points: number) => Counter;

/**
 * Counters in this process, every kind in one LRU of at most `max`: a flood of new keys evicts the
 * least recently used counter instead of growing the heap. `size` says how many are held.
 */
export function memoryCounters(max: number, windowMs: number, now: () => number = Date.now) {
  const windows = new LRUCache<string, { count: number; endsAt: number }>({ max });
  const make: CounterFactory = (prefix, points) => ({
    async consume(key) {
      const at = now();
      let window = windows.get(`${prefix}:${key}`);
      if (!window || window.endsAt <= at) {
        window = { count: 0, endsAt: at + windowMs };
        windows.set(`${prefix}:${key}`, window);
      }
      window.count++;
      return window.count > points ? window.endsAt - at : undefined;
    },
    async reward(key) {
      const window = windows.peek(`${prefix}:${key}`);
      if (window && window.count > 0) window.count--;
    },
    async delete(key) {
      windows.delete(`${prefix}:${key}`);
    },
  });
  const size = (prefix?: string) =>
    [...windows.keys()].filter((k) => prefix === undefined || k.startsWith(`${prefix}:`)).length;
  return { make, size };
}

/** Counters in Redis (rate-limiter-flexible), shared by every instance; Redis expires them. */
export function redisCounters(client: RedisClient, windowMs: number): CounterFactory {
  return (keyPrefix, points) => {
    const limiter = new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true, // node-redis v4+, not ioredis
      rejectIfRedisNotReady: true, // fail fast while disconnected instead of queueing
      keyPrefix,
      points,
      duration: Math.ceil(windowMs / 1000),
    });
    return {
      consume: (key) =>
        limiter.consume(key).then(
          () => undefined,
          (refused: unknown) => {
            if (refused instanceof RateLimiterRes) return refused.msBeforeNext;
            throw refused;
          },
        ),
      reward: async (key) => void (await limiter.reward(key, 1)),
      delete: async (key) => void (await limiter.delete(key)),
    };
  };
}
