/**
 * The database URL fit for a log line: the password (in the user-info part or as `?password=`)
 * replaced, so DATABASE_URL can be named in logs and errors without giving it away.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', 'redacted');
    return parsed.toString();
  } catch {
    return '[unparsable DATABASE_URL]'; // it could still hold a password: show none of it
  }
}
