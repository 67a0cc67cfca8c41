import type { CookieOutcome } from './cookie';
import type { SessionAction } from './facts';

/** The request's cookie, in words. */
export const COOKIE_WORDS: Record<CookieOutcome, string> = {
  none: 'Your browser sent no session cookie.',
  ok: 'Your browser sent a valid cookie, and the session was loaded from the store.',
  'bad-signature':
    'The cookie signature did not verify: it was signed with a secret this server does not know (or altered), so the server ignored it.',
  'unknown-session':
    'The cookie was genuine, but there is no such session in the store: it expired, was cleared, or the store lost it.',
};

/** What the request did to the session, in words. */
export const ACTION_WORDS: Record<SessionAction, string> = {
  none: 'No session yet: with saveUninitialized: false a session is stored only once something is put in it.',
  created: 'A new session was created and saved in the store.',
  loaded: 'The session was loaded; nothing in it changed.',
  saved: 'The session changed and was saved in the store.',
  regenerated: 'The session moved to a new ID.',
  destroyed: 'The session was destroyed: its store entry was deleted.',
  unavailable: 'The session store is unavailable, so no session was loaded.',
};

export const SECURE_OVER_HTTP =
  'This server only sends its cookie over HTTPS; over plain HTTP every visit is a new session.';

const span = (minutes: number) => {
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60), minutes % 60];
  if (d >= 2) return `${d} d ${h % 24} h`; // hours up to two days: "in 23 h 59 min" reads better than "0 d"
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
};

/** "in 23 h 59 min" or "4 min ago". */
export function fromNow(iso: string, now: number): string {
  const minutes = Math.floor((new Date(iso).getTime() - now) / 60_000);
  if (minutes >= 0) return `in ${span(minutes)}`;
  return minutes === -1 ? 'just now' : `${span(-minutes - 1)} ago`;
}
