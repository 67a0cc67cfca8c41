import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { sessionIdFromCookie } from './session-id';
import type { Release, SessionLock } from './types';

/**
 * Runs the requests of one session one after another. Mounted just before express-session, it takes
 * the session's lock before the session is loaded and gives it back on the response's 'close', which
 * comes after express-session has saved, touched or destroyed the session in its wrapped res.end.
 * A request without a valid signed cookie gets a new session, which nothing else can share: no lock.
 */
export function serializeSessions(config: Config, lock: SessionLock): RequestHandler {
  const { cookieName, secrets } = config.session;
  return (req, res, next) => {
    const sid = sessionIdFromCookie(req.headers.cookie, cookieName, secrets);
    if (sid === undefined) return next();
    let closed = false;
    let release: Release | undefined;
    res.once('close', () => {
      closed = true;
      release?.();
    });
    lock.acquire(sid).then((granted) => {
      if (closed) return granted(); // the client left while waiting: nothing to run
      release = granted;
      next();
    }, next);
  };
}
