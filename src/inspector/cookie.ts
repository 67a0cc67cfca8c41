import { parse } from 'cookie';
import { unsign } from 'cookie-signature';

export type CookieOutcome = 'none' | 'ok' | 'bad-signature' | 'unknown-session';

/**
 * The session ID a cookie value carries when one of the secrets signed it; false when the value is not
 * `s:` + a signed ID, or no secret verifies it. The same check express-session makes, done again here
 * only for the inspector, so it can tell a bad signature from a missing cookie.
 */
export function verifiedId(value: string, secrets: string[]): string | false {
  if (!value.startsWith('s:')) return false;
  for (const secret of secrets) {
    const id = unsign(value.slice(2), secret);
    if (id !== false) return id;
  }
  return false;
}

/** What the request's cookie turned out to be, given the ID express-session was working with when the route began. */
export function cookieOutcome(
  header: string | undefined,
  name: string,
  secrets: string[],
  loadedId: string | undefined,
): { outcome: CookieOutcome; cookieId?: string } {
  const value = header ? parse(header)[name] : undefined; // the `cookie` package, as express-session reads it
  if (!value) return { outcome: 'none' };
  const id = verifiedId(value, secrets);
  if (id === false) return { outcome: 'bad-signature' };
  return { outcome: id === loadedId ? 'ok' : 'unknown-session', cookieId: id };
}
