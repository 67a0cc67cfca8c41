import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { storeKey } from '../stores/key';
import { claimedSessionId } from './claimed-id';
import type { Release, SessionLock } from './types';

/**
 * Runs the requests of one session one after another. Mounted just before express-session, it takes
 * the session's lock before the session is loaded and gives it back once express-session is done
 * with the store. A request without a signed session cookie gets a new session, which nothing else
 * can share: no lock.
 */
export function serializeSessions(config: Config, lock: SessionLock): RequestHandler {
  const { cookieName } = config.session;
  return (req, res, next) => {
    const sid = claimedSessionId(req.headers.cookie, cookieName);
    if (sid === undefined) return next();
    let release: Release | undefined;
    let done = false;
    // keyed like the store, so ending a session by its store key (another device) can take its lock too
    const key = storeKey(sid);
    const finish = (outcome?: { replaced: boolean }) => {
      done = true;
      release?.(outcome);
    };
    // express-session wraps res.end after us and calls this end only once its save, touch or
    // destroy has finished, so this is the moment the store holds this request's writes
    const end = res.end;
    res.end = ((...args: Parameters<typeof end>) => {
      // a login moved it to a new ID; both plain IDs, and the lock marks the key it holds
      finish(res.locals.replacedSessionId === sid ? { replaced: true } : undefined);
      return end.apply(res, args);
    }) as typeof end;
    // a client that leaves does not stop the handler, which may still write: wait for its end,
    // but no longer than a crashed holder's Redis lock would last
    res.on('close', () => {
      if (!done) setTimeout(finish, config.lock.ttlMs).unref();
    });
    // free in this process: held at once, no promise (the common case on the memory store)
    release = lock.tryAcquire?.(key);
    if (release) return next();
    lock.acquire(key).then((granted) => {
      release = granted;
      if (res.closed) return finish(); // the client left while waiting: nothing to run
      next();
    }, next);
  };
}
