import { type RedisClient, runScript } from '../redis';
import { parseSession } from '../stores/session-json';
import { type LegacySession, legacyMove, type UpgradeDeps } from './logins';

// rewrites a session only if it is still what was read: two instances upgrading at once rewrite it once
const COMPARE_AND_SET = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL') else return false end`;

/**
 * Sessions in Redis: the previous version's per-user sorted sets (`index:<prefix>user:<id>`) are the
 * index. Each session is rewritten by compare-and-set, then its login row written; then the sets,
 * the cap's old set (`index:<prefix>active`, which had no TTL) and the tombstones' keys go.
 */
export async function moveRedisLogins(
  deps: UpgradeDeps,
  client: RedisClient,
  generationOf: (userId: number) => Promise<number | undefined>,
): Promise<number> {
  const prefix = deps.config.store.redisPrefix;
  let moved = 0;
  for await (const sets of client.scanIterator({ MATCH: `index:${prefix}user:*`, COUNT: 500 })) {
    for (const set of sets) {
      for (const key of await client.zRange(set, 0, -1)) {
        const [json, ttl] = await Promise.all([client.get(prefix + key), client.pTTL(prefix + key)]);
        const data = json ? (parseSession(json) as LegacySession | null) : null;
        const move = data && (await legacyMove(deps, data, Date.now() + ttl, generationOf));
        if (!move || !json) continue;
        if (
          (await runScript(client, COMPARE_AND_SET, [prefix + key], [json, JSON.stringify(move.session)])) ===
          null
        )
          continue; // another instance got there first
        await deps.users.startLogin(move.login, Number.MAX_SAFE_INTEGER);
        moved++;
      }
      await client.del(set);
    }
  }
  await client.del(`index:${prefix}active`);
  return moved;
}

/**
 * Whether the client is connected within `ms` (it connects in the background): the upgrade runs
 * before the server listens when it can, and in the background once Redis is up when it is down.
 */
export function readyWithin(client: RedisClient, ms: number): Promise<boolean> {
  if (client.isReady) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', ready);
      resolve(false);
    }, ms);
    const ready = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', ready);
  });
}
