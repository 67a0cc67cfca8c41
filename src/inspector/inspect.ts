import { parse } from 'cookie';
import { unsign } from 'cookie-signature';
import type { Request, Response } from 'express';
import type { Config } from '../config';
import { describeStore } from '../stores/describe';
import { storeKey } from '../stores/key';
import type { Login, User } from '../users/types';
import type { CookieOutcome, SessionAction } from './panel';

/** What GET /session answers and the panel shows. */
export type Inspection = ReturnType<typeof inspect>;

/** The session as it arrived: the ID express-session loaded or made, and its data (see dataOf). */
export type Arrival = { id: string | undefined; data: string | undefined };

const prefix = (s: string) => s.slice(0, 6);
const iso = (ms: number) => new Date(ms).toISOString();

export function dataOf(session: Request['session'] | undefined): string | undefined {
  if (!session) return undefined;
  const { cookie: _cookie, ...data } = session;
  return JSON.stringify(data);
}

// express-session's own check (`s:` + an ID one of the secrets signed), made again so the panel can
// tell a bad signature from a missing cookie
function cookieOutcome(req: Request, config: Config, arrival: Arrival): CookieOutcome {
  const { cookieName, secrets } = config.session;
  const value = parse(req.headers.cookie ?? '')[cookieName]; // the `cookie` package, as express-session reads it
  if (!value) return 'none';
  const ids = value.startsWith('s:') ? secrets.map((secret) => unsign(value.slice(2), secret)) : [];
  const id = ids.find((id) => id !== false);
  if (typeof id !== 'string') return 'bad-signature';
  return id === arrival.id ? 'ok' : 'unknown-session';
}

function actionOf(cookie: CookieOutcome, arrival: Arrival, now: Arrival): SessionAction {
  const arrived = arrival.data ?? now.data; // unnoted for JSON (only GET /session, which writes nothing)
  if (arrived === undefined) return 'unavailable';
  if (now.data === undefined) return 'destroyed';
  if (now.id !== arrival.id) return 'regenerated';
  if (cookie === 'ok') return now.data === arrived ? 'loaded' : 'saved';
  return now.data === '{}' ? 'none' : 'created';
}

/** A cookie this answer sends is renewed as the headers go out, so its expiry counts from now. */
function expiryOf({ expires, originalMaxAge }: Request['session']['cookie'], sending: boolean) {
  if (!expires) return null;
  return iso(sending && originalMaxAge ? Date.now() + originalMaxAge : new Date(expires).getTime());
}

/** The login the session names; its user and times only when the route already loaded them (no lookup here). */
function loginOf(session: Request['session'] | undefined, { login, user }: { login?: Login; user?: User }) {
  if (session?.loginId === undefined) return null;
  const from = session.previousIdPrefix;
  const loaded = user && login?.id === session.loginId;
  return {
    ...(loaded ? { username: user.username, loginAt: iso(login.createdAt) } : {}),
    ...(from ? { idChange: { from, to: prefix(session.id), countCarried: session.count } } : {}),
  };
}

/** Reads the session, its cookie and what this request did, without changing any of them. */
export function inspect(req: Request, res: Response, config: Config) {
  const arrival = res.locals.inspector as Arrival;
  const name = config.session.cookieName;
  const { session } = req;
  const cookie = cookieOutcome(req, config, arrival);
  const action = actionOf(cookie, arrival, { id: req.sessionID, data: dataOf(session) });
  const sent = [res.getHeader('Set-Cookie') ?? []].flat().map(String);
  const cookieExpired = sent.some((c) => c.startsWith(`${name}=`) && c.includes('1970'));
  const secureOverHttp = config.session.secure && !req.secure;
  const shown = session && action !== 'none';
  // rolling: true re-sends the cookie of every session that exists; a Secure cookie is held back over HTTP
  const setCookie = cookieExpired || (!!shown && !secureOverHttp);
  const expiresAt = shown ? expiryOf(session.cookie, setCookie) : null;
  return {
    cookie,
    session: shown
      ? {
          idPrefix: prefix(req.sessionID),
          storeKeyPrefix: prefix(storeKey(req.sessionID)),
          store: describeStore(config),
          data: JSON.parse(JSON.stringify(session)),
          expiresAt,
          rolling: true,
          cookie: {
            name,
            httpOnly: session.cookie.httpOnly ?? true,
            secure: config.session.secure,
            sameSite: String(session.cookie.sameSite ?? 'lax'),
            path: session.cookie.path ?? '/',
            expires: expiresAt,
          },
        }
      : null,
    user: loginOf(session, res.locals),
    request: {
      action,
      setCookie,
      cookieExpired,
      secureOverHttp,
      host: (req.headers.host ?? '').slice(0, 100),
      instance: { port: req.socket.localPort ?? 0, ...(config.production ? {} : { pid: process.pid }) },
    },
  };
}
