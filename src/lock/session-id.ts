import { unsign } from 'cookie-signature';

const trimSpace = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** The first cookie of that name, decoded, read the way express-session's `cookie` parser reads it. */
function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || trimSpace(pair.slice(0, eq)) !== name) continue;
    let value = trimSpace(pair.slice(eq + 1));
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!value.includes('%')) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * The session ID a request's cookie carries, if its signature verifies with any secret: the same ID
 * express-session will load. Undefined for no cookie, an unsigned one or a bad signature.
 */
export function sessionIdFromCookie(
  header: string | undefined,
  name: string,
  secrets: readonly string[],
): string | undefined {
  if (!header) return undefined;
  const raw = cookieValue(header, name);
  if (!raw?.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const sid = unsign(raw.slice(2), secret); // the check express-session itself makes
    if (sid !== false) return sid;
  }
  return undefined;
}
