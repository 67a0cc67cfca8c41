// what express-session's default genid (uid-safe, 24 bytes) makes: 32 base64url characters
const SESSION_ID = /^[\w-]{32}$/;

const isSpace = (code: number) => code === 32 || code === 9; // space, tab

/**
 * The first cookie of that name, decoded, read the way express-session's `cookie` parser reads it:
 * pairs split at `;`, name and value trimmed of spaces and tabs. One pass of indexes over the header,
 * slicing out only the value it returns (this runs on every request with a cookie).
 */
function cookieValue(header: string, name: string): string | undefined {
  const length = header.length;
  for (let start = 0; start < length; ) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      let from = start;
      let to = eq;
      while (from < to && isSpace(header.charCodeAt(from))) from++;
      while (to > from && isSpace(header.charCodeAt(to - 1))) to--;
      if (to - from === name.length && header.startsWith(name, from)) {
        from = eq + 1;
        to = end;
        while (from < to && isSpace(header.charCodeAt(from))) from++;
        while (to > from && isSpace(header.charCodeAt(to - 1))) to--;
        // a quoted value loses its quotes (34 is ")
        if (to - from > 1 && header.charCodeAt(from) === 34 && header.charCodeAt(to - 1) === 34) {
          from++;
          to--;
        }
        const value = header.slice(from, to);
        if (!value.includes('%')) return value;
        try {
          return decodeURIComponent(value);
        } catch {
          return value;
        }
      }
    }
    start = end + 1;
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
