import { parse } from 'cookie';
import { unsign } from 'cookie-signature';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { prefersHtml } from '../http/replies';
import { describeStore } from '../stores/describe';
import { storeKey } from '../stores/key';
import type { Login, User } from '../users/types';
import { type CookieOutcome, inspectorPanel, type SessionAction } from './panel';

/** What GET /session answers and the panel shows. */
export type Inspection = ReturnType<typeof inspect>;

/** The session as it arrived: the ID express-session loaded or made, and the data (without the cookie). */
interface Arrival {
  config: Config;
  id: string | undefined;
  data: string | undefined;
}

const OPEN_ON = new Set(['/increment', '/session']);

const prefix = (s: string) => s.slice(0, 6);
const iso = (ms: number) => new Date(ms).toISOString();

function dataOf(session: Request['session'] | undefined): string | undefined {
  if (!session) return undefined;
  const { cookie: _cookie, ...data } = session;
  return JSON.stringify(data);
}

/**
 * Mounted right after the session middleware: notes the session as it arrived, so a page rendered
 * later can say what this request did to it, and ends every page with the panel. Cheap: no signature
 * check and no store call here.
 */
export function inspectRequests(config: Config): RequestHandler {
  return (req, res, next) => {
    // a JSON client sees the inspector only on GET /session, which changes nothing: its data then is the
    // data it came with, so only pages pay for noting it
    const data = prefersHtml(req) ? dataOf(req.session) : undefined;
    res.locals.inspector = { config, id: req.sessionID, data } satisfies Arrival;
    res.locals.decoratePage = (page: string) => {
      const at = page.lastIndexOf('</main>'); // pages escape what they interpolate: their own tag is last
      if (at < 0) return page;
      const panel = inspectorPanel(inspect(req, res), Date.now(), OPEN_ON.has(req.path));
      return `${page.slice(0, at)}${panel.value}\n${page.slice(at)}`;
    };
    next();
  };
}

/**
 * The same check express-session makes, made again so the panel can tell a bad signature from a
 * missing cookie: the value must be `s:` + an ID that one of the secrets signed.
 */
function cookieOutcome(header: string | undefined, arrival: Arrival): CookieOutcome {
  const { cookieName, secrets } = arrival.config.session;
  const value = header ? parse(header)[cookieName] : undefined; // the `cookie` package, as express-session reads it
  if (!value) return 'none';
  const ids = value.startsWith('s:') ? secrets.map((secret) => unsign(value.slice(2), secret)) : [];
  const id = ids.find((id) => id !== false);
  if (typeof id !== 'string') return 'bad-signature';
  return id === arrival.id ? 'ok' : 'unknown-session';
}

function actionOf(
  cookie: CookieOutcome,
  arrival: Arrival,
  id: string,
  data: string | undefined,
): SessionAction {
  const arrived = arrival.data ?? data; // undefined only for JSON, or with no session at all (see above)
  if (arrived === undefined) return 'unavailable';
  if (data === undefined) return 'destroyed';
  if (id !== arrival.id) return 'regenerated';
  if (cookie === 'ok') return data === arrived ? 'loaded' : 'saved';
  return data === '{}' ? 'none' : 'created';
}

/** A cookie this answer sends is renewed as the headers go out, so its expiry counts from now. */
function expiryOf({ expires, originalMaxAge }: Request['session']['cookie'], sending: boolean) {
  if (!expires) return null;
  return iso(sending && originalMaxAge ? Date.now() + originalMaxAge : new Date(expires).getTime());
}

/** The login the session names; its user and times only when the route already loaded them (no lookup here). */
function loginOf(session: Request['session'] | undefined, loaded: { login?: Login; user?: User }) {
  if (session?.loginId === undefined) return null;
  const { login, user } = loaded;
  const { previousIdPrefix: from } = session;
  return {
    ...(user && login?.id === session.loginId
      ? { username: user.username, loginAt: iso(login.createdAt) }
      : {}),
    ...(from ? { idChange: { from, to: prefix(session.id), countCarried: session.count } } : {}),
  };
}

/** Reads the session, its cookie and what this request did, without changing any of them. */
export function inspect(req: Request, res: Response) {
  const arrival = res.locals.inspector as Arrival;
  const { config } = arrival;
  const name = config.session.cookieName;
  const { session } = req;
  const cookie = cookieOutcome(req.headers.cookie, arrival);
  const action = actionOf(cookie, arrival, req.sessionID, dataOf(session));
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
