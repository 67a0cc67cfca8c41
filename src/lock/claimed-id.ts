const trimSpace = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

// what express-session's default genid (uid-safe, 24 bytes) makes: 32 base64url characters
const SESSION_ID = /^[\w-]{32}$/;

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
 * The session ID a request's signed cookie names: the ID express-session will load if the signature
 * verifies. The signature is not checked here; express-session checks it right after, and a forged
 * cookie only makes its own request wait for that ID's lock, which takes knowing the ID: the secret
 * the cookie carries. Undefined for no cookie, an unsigned one, or anything that is not a session ID.
 */
export function claimedSessionId(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const raw = cookieValue(header, name);
  if (!raw?.startsWith('s:')) return undefined;
  const sid = raw.slice(2, raw.lastIndexOf('.')); // s:<id>.<signature>, as cookie-signature writes it
  return SESSION_ID.test(sid) ? sid : undefined;
}
