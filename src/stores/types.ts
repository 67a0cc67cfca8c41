import type { Store } from 'express-session';

/** An express-session store the app can also probe and close. */
export interface SessionStore extends Store {
  /** resolves when the backing service answers; rejects with StoreUnavailableError otherwise */
  ping(): Promise<void>;
  /** stops timers and closes connections; safe to call twice */
  close(): Promise<void>;
}
