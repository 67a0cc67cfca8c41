import { HttpError } from '../errors';

/** Gives the lock back; safe to call more than once. `replaced`: the holder's login moved the session to a new ID. */
export type Release = (outcome?: { replaced: boolean }) => void;

/** Serializes work per key (a session's store key): one holder at a time, the rest wait in line. */
export interface SessionLock {
  /** resolves once the caller holds the key; rejects with SessionBusyError, SessionReplacedError or StoreUnavailableError */
  acquire(key: string): Promise<Release>;
  /** the key at once, without a promise, when it is free here and nothing else stands in the way; else undefined: call acquire */
  tryAcquire?(key: string): Release | undefined;
  /** stops its timers; the connection or file it uses belongs to the store */
  close?(): void;
}

/** The session's earlier requests did not finish in time, or too many are already waiting. */
export class SessionBusyError extends HttpError {
  constructor(readonly reason: string) {
    super(503, 'Session busy, retry', { 'Retry-After': '1' });
    this.name = 'SessionBusyError';
  }
}

/**
 * A login moved this session to a new ID moments ago, and the request still carries the old cookie.
 * Served, it would start an anonymous session whose Set-Cookie logs the browser out; the browser
 * already holds the new cookie, so a retry lands in the logged-in session.
 */
export class SessionReplacedError extends HttpError {
  constructor() {
    super(409, 'Session changed by a login, retry');
    this.name = 'SessionReplacedError';
  }
}
