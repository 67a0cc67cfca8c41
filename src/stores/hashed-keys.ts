import { type SessionData, Store } from 'express-session';
import { withDeadline } from '../deadline';
import { storeKey } from './key';
import type { Callback, SessionBackend } from './types';

const SAVED = Symbol('saved by this request'); // a symbol: JSON never stores it
type Marked = SessionData & { [SAVED]?: true };

/**
 * The store the app hands to session(): what every backend needs, in one place.
 * - The backend never sees a session ID, only its SHA-256 (storeKey), so a copy of the store (a
 *   backup, a scan, MONITOR) holds nothing a cookie can be made from.
 * - Every call answers within timeoutMs: a backend that is down or silent is a fast 503.
 * - The app saves before it answers, so express-session's touch of the unchanged session on the way
 *   out is skipped, after a failed save too: a touch failing after the error answer would reach
 *   Express past the error handler, which resets the connection.
 * The backend's own events (connect-redis's `disconnect`) are not passed on: express-session would
 * then skip loading sessions and leave req.session undefined; the deadline answers 503 instead.
 */
export class HashedKeyStore extends Store {
  constructor(
    readonly backend: SessionBackend,
    private readonly timeoutMs: number,
    /** turns a backend failure into a 503 or leaves it a 500 */
    private readonly classify: (err: unknown) => unknown = (err) => err,
  ) {
    super();
  }

  private call<T>(what: string, cb: Callback<T> | undefined, work: (done: Callback<T>) => void): void {
    const promise = new Promise<T>((resolve, reject) => {
      work((err, value) => (err ? reject(this.classify(err)) : resolve(value as T)));
    });
    withDeadline(promise, this.timeoutMs, `session store ${what}`).then(
      (value) => cb?.(undefined, value),
      (err: unknown) => cb?.(err),
    );
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.call('get', cb, (done) => this.backend.get(storeKey(sid), done));
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    (session as Marked)[SAVED] = true;
    this.call('set', cb, (done) => this.backend.set(storeKey(sid), session, done));
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    if ((session as Marked)[SAVED]) cb?.();
    else this.call('touch', cb, (done) => this.backend.touch(storeKey(sid), session, done));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.call('destroy', cb, (done) => this.backend.destroy(storeKey(sid), done));
  }

  ping(): Promise<void> {
    const ping = this.backend.ping().catch((err: unknown) => Promise.reject(this.classify(err)));
    return withDeadline(ping, this.timeoutMs, 'session store ping');
  }
}
