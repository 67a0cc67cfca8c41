/** Past this, a request with the pre-login cookie is an old tab, not a race: it gets a new session. */
export const REPLACED_FOR_MS = 10_000;

/**
 * Session IDs a login has just replaced, remembered for a short while. A request that carried the old
 * cookie and waited behind the login must not quietly start a new anonymous session: its Set-Cookie
 * would replace the login cookie and log the browser out. It is turned away to retry with the new one.
 */
export class ReplacedSessions {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs = REPLACED_FOR_MS,
    private readonly max = 10_000, // bounded: a login flood costs memory once, oldest forgotten first
    private readonly now: () => number = Date.now,
  ) {}

  add(sid: string): void {
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value as string);
    this.until.set(sid, this.now() + this.ttlMs);
  }

  has(sid: string): boolean {
    const until = this.until.get(sid);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(sid);
    return false;
  }
}
