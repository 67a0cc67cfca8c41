import type { RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { storeKey } from '../stores/key';
import { claimedSessionId } from './claimed-id';
import type { Release, SessionLock } from './types';

/** One request's hold on its session's lock, kept on the response for the shared functions below. */
class Hold {
  release: Release | undefined;
  done = false;

  constructor(
    readonly sid: string,
    readonly end: Response['end'],
    readonly ttlMs: number,
  ) {}

  finish(outcome?: { replaced: boolean }): void {
    this.done = true;
    this.release?.(outcome);
  }
}

const HOLD = Symbol('session lock hold');
type Holding = Response & { [HOLD]: Hold };

// express-session wraps res.end after us and calls this end only once its save, touch or destroy has
// finished, so this is the moment the store holds this request's writes. One function for every
// request, reading the hold off the response, rather than a closure each.
function endAndRelease(this: Holding, ...args: unknown[]) {
  const hold = this[HOLD];
  // a login moved it to a new ID; both plain IDs, and the lock marks the key it holds
  hold.finish(this.locals.replacedSessionId === hold.sid ? { replaced: true } : undefined);
  return (hold.end as (...a: unknown[]) => Response).apply(this, args);
}

// a client that leaves does not stop the handler, which may still write: wait for its end, but no
// longer than a crashed holder's Redis lock would last
function releaseAfterClose(this: Holding) {
  const hold = this[HOLD];
  if (!hold.done) setTimeout(() => hold.finish(), hold.ttlMs).unref();
}

/**
 * Runs the requests of one session one after another. Mounted just before express-session, it takes
 * the session's lock before the session is loaded and gives it back once express-session is done
 * with the store. A request without a signed session cookie gets a new session, which nothing else
 * can share: no lock.
 */
export function serializeSessions(config: Config, lock: SessionLock): RequestHandler {
  const { cookieName } = config.session;
  const { ttlMs } = config.lock;
  return (req, res, next) => {
    const sid = claimedSessionId(req.headers.cookie, cookieName);
    if (sid === undefined) return next();
    const hold = new Hold(sid, res.end, ttlMs);
    (res as Holding)[HOLD] = hold;
    res.end = endAndRelease as Response['end'];
    res.on('close', releaseAfterClose); // 'close' comes once
    // keyed like the store, so ending a session by its store key (another device) can take its lock too
    const key = storeKey(sid);
    // free in this process: held at once, no promise (the common case on the memory store)
    hold.release = lock.tryAcquire?.(key);
    if (hold.release) return next();
    lock.acquire(key).then((granted) => {
      hold.release = granted;
      if (res.closed) return hold.finish(); // the client left while waiting: nothing to run
      next();
    }, next);
  };
}
