import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import type { Config } from '../config';
import { HttpError, StoreUnavailableError } from '../errors';
import type { SessionStore } from '../stores/types';

declare module 'express-session' {
  interface SessionData {
    count: number;
    userId: number;
    /** ms since epoch: the login (or signup) that started this logged-in session */
    loginAt: number;
    /** ms since epoch: the last time a password was entered in this session (login, signup, confirm) */
    authAt: number;
    /** the user's session generation at login; older than the user's means revoked */
    generation: number;
    /** the first 6 characters of the session ID this login replaced, for the inspector */
    previousIdPrefix: string;
    /** the client's IP at login (at most 45 characters) */
    ip: string;
    /** e.g. "Chrome 131 on Linux" (at most 100 characters), parsed from the User-Agent at login */
    device: string;
    /** "keep me signed in": a persistent cookie; otherwise a browser-session cookie */
    persistent: boolean;
  }
}

/** Cookie attributes shared by setting and clearing the session cookie. */
export function cookieOptions(config: Config) {
  return { path: '/', httpOnly: true, secure: config.session.secure, sameSite: 'lax' as const };
}

/** express-session configured as the lesson teaches, hardened for production. */
export function createSessionMiddleware(config: Config, store: SessionStore): RequestHandler {
  if (config.session.secrets.length === 0) throw new Error('createSessionMiddleware: no session secret');
  const middleware = session({
    name: config.session.cookieName,
    secret: config.session.secrets, // first signs, all verify
    store,
    resave: false, // don't save session if unmodified
    saveUninitialized: false, // don't create session until something stored
    rolling: true, // re-send the cookie on activity, so the browser's expiry follows the idle timeout
    cookie: { ...cookieOptions(config), maxAge: config.session.maxAgeMs },
  });
  // express-session saves or touches inside res.end and passes a store failure to this `next` once the
  // answer is already out; by then the error handler may have run, and Express's final handler would
  // destroy the socket, turning a finished answer into a reset. Log it and keep the answer.
  return (req, res, next) =>
    middleware(req, res, (err?: unknown) => {
      if (err && res.headersSent) {
        req.log.warn({ err }, 'session store failed after the answer was sent');
        if (res.writableEnded) return;
      }
      next(err);
    });
}

/** The request's session, or a 503 when express-session skipped it because the store is disconnected. */
export function requireSession(req: Request) {
  if (!req.session) throw new StoreUnavailableError('session not loaded');
  return req.session;
}

const promisify =
  (method: 'save' | 'destroy' | 'regenerate') =>
  (req: Request): Promise<void> =>
    new Promise((resolve, reject) => {
      requireSession(req)[method]((err: unknown) => (err ? reject(err) : resolve()));
    });

const save = promisify('save');

/**
 * Saves before the reply, so a 200 means the store has it. express-session moves the idle expiry
 * forward only when the headers go out, after this save, and stores then skip that touch as "just
 * written"; so the expiry moves here, and stays put for the headers, so the cookie carries the
 * expiry the store holds.
 */
export async function saveSession(req: Request): Promise<void> {
  const session = requireSession(req);
  session.touch();
  // own and non-enumerable: shadows touch for this request's object only, and is never stored
  Object.defineProperty(session, 'touch', { value: alreadyTouched, configurable: true });
  await save(req);
}

// one function for every request, not a closure each
function alreadyTouched<T>(this: T): T {
  return this;
}
export const destroySession = promisify('destroy');
const regenerate = promisify('regenerate');

/**
 * Moves the request to a new session ID (a login), destroying the old session. The old ID goes in
 * res.locals.replacedSessionId, where the session lock looks for it to turn away the old cookie's
 * stragglers; the new session keeps its first 6 characters, for the inspector's before and after.
 */
export async function regenerateSession(req: Request): Promise<void> {
  const replaced = req.sessionID;
  await regenerate(req);
  if (req.res) req.res.locals.replacedSessionId = replaced;
  requireSession(req).previousIdPrefix = replaced.slice(0, 6);
}

/**
 * Destroys the session in the store and clears its cookie. An unavailable store stays a 503;
 * any other failure becomes a 500 whose message is `failure`.
 */
export async function endSession(
  req: Request,
  res: Response,
  config: Config,
  failure: string,
): Promise<void> {
  try {
    await destroySession(req);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    throw new HttpError(500, failure, {}, { cause: err });
  }
  res.clearCookie(config.session.cookieName, cookieOptions(config));
}
