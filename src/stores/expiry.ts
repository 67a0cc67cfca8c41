import type { SessionData } from 'express-session';

/** When a session expires (ms since epoch): its cookie's expiry, or maxAgeMs from now without one. */
export function expiresAt(session: SessionData, now: number, fallbackMs = 86_400_000): number {
  const expires = session.cookie?.expires;
  const at = expires ? new Date(expires).getTime() : Number.NaN;
  return Number.isFinite(at) ? at : now + fallbackMs;
}

/** Parses a stored session; anything that is not a session object with a cookie reads as absent. */
export function parseSession(json: string): SessionData | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const cookie = (value as { cookie?: unknown }).cookie;
    if (typeof cookie !== 'object' || cookie === null) return undefined;
    return value as SessionData;
  } catch {
    return undefined;
  }
}
