import type { Store } from 'express-session';

/** What express-session passes to every store method: an error, or the value asked for. */
export type Callback<T = void> = (err?: unknown, value?: T) => void;

/** An express-session store the app can also probe and close. */
export interface SessionStore extends Store {
  /** resolves when the backing service answers; rejects with StoreUnavailableError otherwise */
  ping(): Promise<void>;
  /** stops timers and closes connections; safe to call twice */
  close(): Promise<void>;
}
