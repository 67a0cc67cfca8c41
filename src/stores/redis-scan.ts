import type { SessionData } from 'express-session';
import { parseSession } from './record';
import type { RedisClient } from './redis-client';
import type { redisKeys } from './redis-scripts';

// all, length and clear walk the session prefix with SCAN: for tests and tools, not for requests

type Keys = ReturnType<typeof redisKeys>;

/** A store key: a SHA-256 in hex. Anything else under the prefix is a session not yet moved to its hash. */
export const STORE_KEY = /^[0-9a-f]{64}$/;

/** What follows the prefix in every session key, in batches: store keys, or else plain IDs. */
async function* namesUnderPrefix(client: RedisClient, keys: Keys, hashed: boolean): AsyncGenerator<string[]> {
  const { sessions } = keys;
  for await (const batch of client.scanIterator({ MATCH: `${sessions}*`, COUNT: 500 })) {
    const found = batch.map((k) => k.slice(sessions.length)).filter((k) => STORE_KEY.test(k) === hashed);
    if (found.length > 0) yield found;
  }
}

const storeKeys = (client: RedisClient, keys: Keys) => namesUnderPrefix(client, keys, true);

/** The IDs of sessions the previous code stored under their plain ID, in batches. */
export const legacyIds = (client: RedisClient, keys: Keys) => namesUnderPrefix(client, keys, false);

/** Keyed by store key (the hash): the store does not know the IDs. */
export async function allSessions(client: RedisClient, keys: Keys): Promise<Record<string, SessionData>> {
  const out: Record<string, SessionData> = {};
  for await (const batch of storeKeys(client, keys)) {
    const texts = await client.mGet(batch.map(keys.session));
    batch.forEach((key, i) => {
      const session = texts[i] ? parseSession(texts[i]) : undefined;
      if (session) out[key] = session; // skip corrupt and just expired
    });
  }
  return out;
}

export async function countSessions(client: RedisClient, keys: Keys): Promise<number> {
  let count = 0;
  for await (const batch of storeKeys(client, keys)) count += batch.length;
  return count;
}

/** Every session and its bookkeeping; tombstones stay, so a revoke still holds. */
export async function clearSessions(client: RedisClient, keys: Keys): Promise<void> {
  for (const match of [`${keys.sessions}*`, `${keys.users}*`])
    for await (const batch of client.scanIterator({ MATCH: match, COUNT: 500 }))
      if (batch.length > 0) await client.del(batch);
  await client.del(keys.active);
}
