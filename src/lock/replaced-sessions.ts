import { ExpiringKeys } from '../expiring-keys';

/** Past this, a request with the pre-login cookie is an old tab, not a race: it gets a new session. */
export const REPLACED_FOR_MS = 10_000;

/** What a shared lock (a table row, a Redis key) holds instead of an owner token once a login replaced its ID. */
export const REPLACED_MARKER = 'replaced-by-login';

/**
 * Session IDs a login has just replaced, remembered for a short while. A request that carried the old
 * cookie and waited behind the login must not quietly start a new anonymous session: its Set-Cookie
 * would replace the login cookie and log the browser out. It is turned away to retry with the new one.
 */
export class ReplacedSessions extends ExpiringKeys {
  constructor(forMs = REPLACED_FOR_MS, max = 10_000, now: () => number = Date.now) {
    super(forMs, now, max);
  }
}
