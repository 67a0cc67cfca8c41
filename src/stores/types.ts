import type { SessionData, Store } from 'express-session';

/** What express-session passes to every store method: an error, or the value asked for. */
export type Callback<T = void> = (err?: unknown, value?: T) => void;

/** One stored session as the /store page lists it (never its whole key). */
export interface StoredSession {
  key: string; // the store key: the SHA-256 of the session ID, hex
  data: SessionData;
  expiresAt: number | null; // ms since epoch; null when the store cannot say
}

/**
 * An express-session store (get, set, destroy, touch) that the app can also probe, close and list.
 * Its keys are store keys (HashedKeyStore hashes the ID first); a stored value that is not a session
 * (corrupt JSON) reads as none.
 */
export interface SessionBackend extends Store {
  touch(key: string, session: SessionData, cb?: Callback): void;
  /** resolves when the backing service answers and can write */
  ping(): Promise<void>;
  /** stops timers and closes connections; safe to call twice */
  close(): Promise<void>;
  /** the most recently active sessions, at most `limit`, and how many there are in all */
  recent(limit: number): Promise<{ sessions: StoredSession[]; total: number; approximate: boolean }>;
}
