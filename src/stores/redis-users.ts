import { parseSession } from './record';
import {
  DESTROY_BY_KEY,
  DESTROY_BY_USER,
  LIST_BY_USER,
  type redisKeys,
  runScript,
  type ScriptClient,
} from './redis-scripts';
import type { UserSession } from './types';

type Keys = ReturnType<typeof redisKeys>;

/** The user's live sessions; the script drops index members whose session has expired or gone. */
export async function listByUser(client: ScriptClient, keys: Keys, userId: number): Promise<UserSession[]> {
  const now = Date.now();
  const flat = await runScript<Array<string | number>>(
    client,
    LIST_BY_USER,
    [keys.user(userId)],
    [keys.sessions, now],
  );
  const out: UserSession[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const data = parseSession(String(flat[i + 1]));
    // a session that no longer holds this user (corrupt, or logged out in place) is not theirs
    if (data?.userId !== userId) continue;
    out.push({ key: String(flat[i]), data, expiresAt: now + Number(flat[i + 2]) });
  }
  return out;
}

/** Ends the user's indexed sessions but `keep` (a store key, '' for none), each with a tombstone. */
export async function destroyByUser(
  client: ScriptClient,
  keys: Keys,
  userId: number,
  keep: string,
  tombstoneMs: number,
): Promise<number> {
  const args = [keys.sessions, keys.tombstones, tombstoneMs, keep, userId];
  return Number(await runScript(client, DESTROY_BY_USER, [keys.user(userId), keys.active], args));
}

/** Ends one session by its store key and leaves a tombstone; whether it existed. */
export async function destroyByKey(
  client: ScriptClient,
  keys: Keys,
  key: string,
  tombstoneMs: number,
): Promise<boolean> {
  const names = [keys.session(key), keys.active, keys.tombstone(key)];
  return Number(await runScript(client, DESTROY_BY_KEY, names, [key, tombstoneMs])) === 1;
}
