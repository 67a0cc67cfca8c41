import type { SessionData } from 'express-session';

/** When a session expires (ms since epoch): its cookie's expiry, or ttlMs from now without one. */
export function expiresAt(session: SessionData, now: number, ttlMs: number): number {
  const expires = session.cookie?.expires;
  const at = expires ? new Date(expires).getTime() : Number.NaN;
  return Number.isFinite(at) ? at : now + ttlMs;
}

/** Whether a stored value is a session: an object with a cookie object. Anything else reads as absent. */
function isSession(value: unknown): value is SessionData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const cookie = (value as { cookie?: unknown }).cookie;
  return typeof cookie === 'object' && cookie !== null;
}

/** Parses a stored session; bad JSON or anything that is not a session reads as no session. */
export function parseSession(json: string): SessionData | null {
  try {
    const value: unknown = JSON.parse(json);
    return isSession(value) ? value : null;
  } catch {
    return null;
  }
}
