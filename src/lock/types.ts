import { HttpError } from '../errors';

/** Gives the lock back; safe to call more than once. */
export type Release = () => void;

/** Serializes work per key (a session's store key): one holder at a time, the rest wait in line. */
export interface SessionLock {
  /** resolves once the caller holds the key; rejects with SessionBusyError or StoreUnavailableError */
  acquire(key: string): Promise<Release>;
  /** the key at once, without a promise, when it is free here; else undefined: call acquire */
  tryAcquire?(key: string): Release | undefined;
}

/** The session's earlier requests did not finish in time, or too many are already waiting. */
export class SessionBusyError extends HttpError {
  override name = 'SessionBusyError';

  constructor(readonly reason: string) {
    super(503, 'Session busy, retry', { 'Retry-After': '1' });
  }
}
