import type { Request, Response } from 'express';
import { describeStore } from '../stores/describe';
import { storeKey } from '../stores/key';
import { type CookieOutcome, cookieOutcome } from './cookie';
import type { SessionAction } from './facts';
import { actionOf, cookieExpiry, loginOf } from './facts';
import { dataOf, inspectorState } from './state';

export interface Inspection {
  cookie: CookieOutcome;
  session: null | {
    idPrefix: string;
    storeKeyPrefix: string;
    store: string;
    data: unknown;
    expiresAt: string | null;
    rolling: true;
    cookie: {
      name: string;
      httpOnly: boolean;
      secure: boolean;
      sameSite: string;
      path: string;
      expires: string | null;
    };
  };
  user: null | {
    username?: string;
    loginAt?: string;
    idChange?: { from: string; to: string; countCarried?: number | undefined };
  };
  request: {
    action: SessionAction;
    setCookie: boolean;
    cookieExpired: boolean;
    secureOverHttp: boolean;
    host: string;
    instance: { port: number; pid?: number };
  };
}

const prefix = (s: string) => s.slice(0, 6);

/** Reads the session, its cookie and what this request did, without changing any of them. */
export function inspect(req: Request, res: Response): Inspection | undefined {
  const state = inspectorState(res);
  if (!state) return undefined; // answered before the session middleware ran
  const { config } = state;
  const name = config.session.cookieName;
  const { outcome } = cookieOutcome(req.headers.cookie, name, config.session.secrets, state.startId);
  const session = req.session;
  const data = dataOf(session);
  const startData = state.startNoted ? state.startData : data;
  const action = actionOf(outcome, { id: state.startId, data: startData }, { id: req.sessionID, data });
  const setCookieHeader = [res.getHeader('Set-Cookie') ?? []].flat().map(String);
  const cookieExpired = setCookieHeader.some((c) => c.startsWith(`${name}=`) && c.includes('1970'));
  const secureOverHttp = config.session.secure && !req.secure;
  const shown = session && action !== 'none';
  // rolling: true re-sends the cookie of every session that exists; a Secure cookie is held back over HTTP
  const setCookie = cookieExpired || (!!shown && !secureOverHttp);
  const expires = shown ? cookieExpiry(session, setCookie, Date.now()) : null;
  return {
    cookie: outcome,
    session: shown
      ? {
          idPrefix: prefix(req.sessionID),
          storeKeyPrefix: prefix(storeKey(req.sessionID)),
          store: describeStore(config),
          data: JSON.parse(JSON.stringify(session)),
          expiresAt: expires,
          rolling: true,
          cookie: {
            name,
            httpOnly: session.cookie.httpOnly ?? true,
            secure: config.session.secure,
            sameSite: String(session.cookie.sameSite ?? 'lax'),
            path: session.cookie.path ?? '/',
            expires,
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
      instance: {
        port: req.socket.localPort ?? 0,
        ...(config.production ? {} : { pid: process.pid }),
      },
    },
  };
}
