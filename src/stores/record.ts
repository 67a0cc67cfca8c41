import type { SessionData } from 'express-session';

/** When a session expires (ms since epoch): its cookie's expiry, or maxAgeMs from now without one. */
export function expiresAt(session: SessionData, now: number, fallbackMs = 86_400_000): number {
  const expires = session.cookie?.expires;
  const at = expires ? new Date(expires).getTime() : Number.NaN;
  return Number.isFinite(at) ? at : now + fallbackMs;
}

/** Whether a stored value is a session: an object with a cookie object. Anything else reads as absent. */
export function isSession(value: unknown): value is SessionData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const cookie = (value as { cookie?: unknown }).cookie;
  return typeof cookie === 'object' && cookie !== null;
}

/** Parses a stored session; bad JSON or anything that is not a session reads as absent. */
export function parseSession(json: string): SessionData | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return isSession(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const WRITTEN = Symbol('written by this request');
type Marked = SessionData & { [WRITTEN]?: true };

/**
 * Marks the session object a store has just written. express-session makes a new object per request,
 * so the mark lasts one request, and JSON never sees a symbol key, so it is never stored.
 */
export function markWritten(session: SessionData): void {
  (session as Marked)[WRITTEN] = true;
}

/**
 * Whether this very object was written moments ago in its own request. The app saves before it
 * answers, and express-session then touches the unchanged session on `res.end`; that touch would
 * only move the expiry on by the milliseconds in between, so stores skip it (one write less).
 */
export function justWritten(session: SessionData): boolean {
  return (session as Marked)[WRITTEN] === true;
}
