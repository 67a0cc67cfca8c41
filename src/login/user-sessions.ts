import type { SessionStore, UserSession } from '../stores/types';

/**
 * When a listed session was last active: every request moves its expiry to now + the idle lifetime
 * (rolling cookies), so the expiry says it without a write per request to record it.
 */
export function lastActiveAt(session: UserSession, idleMs: number): number {
  return session.expiresAt - idleMs;
}

/**
 * Ends the user's least recently active sessions past max, never the one with store key `keep`;
 * resolves to how many ended. Keeps each user's index, and what listing it costs, bounded.
 */
export async function endSessionsPastCap(
  store: SessionStore,
  userId: number,
  keep: string,
  max: number,
): Promise<number> {
  const sessions = await store.listByUser(userId);
  if (sessions.length <= max) return 0;
  const oldest = sessions
    .filter((s) => s.key !== keep)
    .sort((a, b) => a.expiresAt - b.expiresAt) // the same idle lifetime for all: earliest expiry, least recent
    .slice(0, sessions.length - max);
  let ended = 0;
  for (const { key } of oldest) if (await store.destroyByKey(key)) ended++;
  return ended;
}
