/**
 * Keys remembered for a short while, each until its own deadline; bounded, so a flood of additions
 * costs memory once, the oldest forgotten first.
 */
export class ExpiringKeys {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly forMs: number,
    private readonly now: () => number = Date.now,
    private readonly max = 10_000,
  ) {}

  /** Remembers `key` for the usual while, or until `until` (a deadline someone else set). */
  add(key: string, until = this.now() + this.forMs): void {
    this.until.delete(key); // re-added at the end: the map's order stays (about) oldest first
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value as string);
    this.until.set(key, until);
  }

  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** The keys still remembered, each with its deadline. */
  *live(): IterableIterator<[string, number]> {
    const now = this.now();
    for (const entry of this.until) if (entry[1] > now) yield entry;
  }
}
