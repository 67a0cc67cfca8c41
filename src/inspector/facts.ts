import type { Request } from 'express';
import type { Login, User } from '../users/types';
import type { CookieOutcome } from './cookie';

/** What this request did to the session. */
export type SessionAction =
  | 'none' // no session, and none was made (saveUninitialized: false)
  | 'created' // a new session with data: saved, and its cookie sent
  | 'loaded' // found in the store, unchanged
  | 'saved' // found in the store and changed
  | 'regenerated' // moved to a new ID (a login)
  | 'destroyed'
  | 'unavailable'; // the store was not connected, so express-session loaded nothing

const iso = (ms: number) => new Date(ms).toISOString();

/** Compares the session as the routes found it with the session now. */
export function actionOf(
  outcome: CookieOutcome,
  start: { id: string | undefined; data: string | undefined },
  now: { id: string | undefined; data: string | undefined },
): SessionAction {
  if (start.data === undefined) return 'unavailable';
  if (now.data === undefined) return 'destroyed';
  if (now.id !== start.id) return 'regenerated';
  if (outcome === 'ok') return now.data === start.data ? 'loaded' : 'saved';
  return now.data === '{}' ? 'none' : 'created';
}

/**
 * When the cookie expires, as an ISO string; null for a browser-session cookie. A cookie this answer
 * sends is renewed as the headers go out, so its expiry is counted from now.
 */
export function cookieExpiry(session: Request['session'], sending: boolean, now: number): string | null {
  const { expires, originalMaxAge } = session.cookie;
  if (!expires) return null;
  return sending && originalMaxAge ? iso(now + originalMaxAge) : iso(new Date(expires).getTime());
}

/** The login the session names; its user and times only when the route already loaded them (no lookup here). */
export function loginOf(session: Request['session'] | undefined, loaded: { login?: Login; user?: User }) {
  if (session?.loginId === undefined) return null;
  const { login, user } = loaded;
  const { previousIdPrefix: from } = session;
  return {
    ...(user && login?.id === session.loginId
      ? { username: user.username, loginAt: iso(login.createdAt) }
      : {}),
    ...(from ? { idChange: { from, to: session.id.slice(0, 6), countCarried: session.count } } : {}),
  };
}
