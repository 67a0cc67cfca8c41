import { unsign } from 'cookie-signature';

export type CookieOutcome = 'none' | 'ok' | 'bad-signature' | 'unknown-session';

/** The raw value of the first cookie called `name` in a Cookie header, decoded as express-session reads it. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length > 1) value = value.slice(1, -1);
    try {
      return value.includes('%') ? decodeURIComponent(value) : value;
    } catch {
      return value; // the cookie package keeps a value it cannot decode
    }
  }
  return undefined;
}

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
  const value = readCookie(header, name);
  if (!value) return { outcome: 'none' };
  const id = verifiedId(value, secrets);
  if (id === false) return { outcome: 'bad-signature' };
  return { outcome: id === loadedId ? 'ok' : 'unknown-session', cookieId: id };
}
