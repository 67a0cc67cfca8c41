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

/**
 * The expiry each live session object was last saved with. After a route saves a returning session,
 * express-session still touches it at the end of the request with the expiry it recomputed when the
 * headers went out, a few milliseconds later than the saved one: a second write (an UPDATE in SQLite,
 * a round trip to Redis) that moves the expiry by the time the response took. A store can skip a touch
 * that moves it forward by less than slackMs: the save in the same request already renewed it.
 * Keyed weakly by the request's session object, so an entry lasts only as long as the request.
 */
export class SavedExpiries {
  private readonly saved = new WeakMap<object, number>();

  constructor(private readonly slackMs = 1000) {}

  remember(session: object, expires: number): void {
    this.saved.set(session, expires);
  }

  /** True when this very session object was saved with nearly this expiry: a touch would add nothing. */
  unchanged(session: object, expires: number): boolean {
    const saved = this.saved.get(session);
    return saved !== undefined && expires >= saved && expires - saved < this.slackMs;
  }
}
