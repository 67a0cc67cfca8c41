import { parse } from 'cookie';
import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { storeKey } from '../stores/key';
import type { Release, SessionLock } from './types';

// what express-session's default genid (uid-safe, 24 bytes) makes: 32 base64url characters
const SESSION_ID = /^[\w-]{32}$/;

/**
 * The session ID a request's signed cookie names (`s:<id>.<signature>`), read with the `cookie`
 * package as express-session reads it. The signature is checked by express-session right after; a
 * forged cookie only makes its own request wait for that ID's lock, which takes knowing the ID.
 */
export function claimedSessionId(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const raw = parse(header)[name];
  if (!raw?.startsWith('s:')) return undefined;
  const sid = raw.slice(2, raw.lastIndexOf('.'));
  return SESSION_ID.test(sid) ? sid : undefined;
}

/**
 * Runs the requests of one session one after another, so two tabs' /increment cannot both read 1 and
 * write 2. Mounted just before express-session: it takes the session's lock before the session is
 * loaded and gives it back once express-session is done with the store (it calls res.end only after
 * its save or touch). A request without a session cookie gets a new session nothing shares: no lock.
 * Keyed by the store key, so no plain ID ever reaches a shared lock backend.
 */
export function serializeSessions(config: Config, lock: SessionLock): RequestHandler {
  const { cookieName } = config.session;
  const { ttlMs } = config.lock;
  return (req, res, next) => {
    const sid = claimedSessionId(req.headers.cookie, cookieName);
    if (sid === undefined) return next();
    const key = storeKey(sid);
    let release: Release | undefined;
    let done = false;
    const finish = () => {
      done = true;
      release?.();
    };
    const end = res.end;
    res.end = function (this: typeof res, ...args: unknown[]) {
      finish();
      return (end as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.end;
    // a client that leaves does not stop the handler, which may still write: wait for its end, but
    // no longer than a crashed holder's Redis lock would last
    res.once('close', () => {
      if (!done) setTimeout(finish, ttlMs).unref();
    });
    release = lock.tryAcquire?.(key); // free in this process: held at once, no promise
    if (release) return next();
    lock.acquire(key).then((granted) => {
      release = granted;
      if (res.closed) return finish(); // the client left while waiting: nothing to run
      next();
    }, next);
  };
}
