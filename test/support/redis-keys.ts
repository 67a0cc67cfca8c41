import type { RedisClient } from '../../src/redis';
import { storeKey } from '../../src/stores/key';

/** The Redis key that holds a session: under the SHA-256 of its ID. Throws when it does not exist. */
export async function sessionKey(client: RedisClient, prefix: string, sid: string): Promise<string> {
  const key = `${prefix}${storeKey(sid)}`;
  if ((await client.exists(key)) === 1) return key;
  throw new Error(`no key under ${prefix} holds the session`);
}

/** The milliseconds Redis will keep a session's key. */
export async function sessionTtlMs(client: RedisClient, prefix: string, sid: string): Promise<number> {
  return client.pTTL(await sessionKey(client, prefix, sid));
}

/** A stand-in for a node-redis client with only what a test needs (e.g. rate-limiter-flexible's isReady and eval). */
export function stubRedis(fake: { isReady: boolean; eval: () => Promise<unknown> }): RedisClient {
  return fake as unknown as RedisClient; // the rest of the client is never reached
}
