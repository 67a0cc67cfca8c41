import type { SessionData, Store } from 'express-session';

/** What express-session passes to every store method: an error, or the value asked for. */
export type Callback<T = void> = (err?: unknown, value?: T) => void;

/** One live session of a user, as the per-user index finds it. */
export interface UserSession {
  /** the store key: SHA-256 of the session ID, hex; never the ID itself */
  key: string;
  data: SessionData;
  /** ms since epoch */
  expiresAt: number;
}

/**
 * An express-session store the app can also probe and close, keyed by the hash of each session ID
 * (see key.ts), with an index of which sessions belong to which user.
 */
export interface SessionStore extends Store {
  /** resolves when the backing service answers and can write; rejects with StoreUnavailableError otherwise */
  ping(): Promise<void>;
  /** stops timers and closes connections; safe to call twice */
  close(): Promise<void>;
  /** the user's live sessions; cost bounded by that user's sessions, never a scan of all */
  listByUser(userId: number): Promise<UserSession[]>;
  /**
   * Ends every session of the user but `except` (a plain session ID), leaving a tombstone on each
   * so an in-flight request cannot write it back; resolves to how many ended.
   */
  destroyByUser(userId: number, options?: { except?: string }): Promise<number>;
  /** Ends one session by its store key, leaving a tombstone; resolves to whether it existed. */
  destroyByKey(key: string): Promise<boolean>;
}
