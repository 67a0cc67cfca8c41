import type { SessionData } from 'express-session';

/** When a session expires (ms since epoch): its cookie's expiry, or ttlMs from now without one. */
export function expiresAt(session: SessionData, now: number, ttlMs: number): number {
  const expires = session.cookie?.expires;
  const at = expires ? new Date(expires).getTime() : Number.NaN;
  return Number.isFinite(at) ? at : now + ttlMs;
}

/** Parses a stored session: an object with a cookie object; bad JSON or anything else reads as none. */
export function parseSession(json: string): SessionData | null {
  try {
    const value: unknown = JSON.parse(json);
    const cookie = (value as { cookie?: unknown } | null)?.cookie;
    return typeof cookie === 'object' && cookie !== null ? (value as SessionData) : null;
  } catch {
    return null;
  }
}
