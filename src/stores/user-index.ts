/** Which store keys belong to which user: a set per user, the user dropped with their last key. */
export class UserIndex {
  private readonly byUser = new Map<number, Set<string>>();

  add(userId: number, key: string): void {
    const keys = this.byUser.get(userId);
    if (keys) keys.add(key);
    else this.byUser.set(userId, new Set([key]));
  }

  remove(userId: number, key: string): void {
    const keys = this.byUser.get(userId);
    if (!keys?.delete(key)) return;
    if (keys.size === 0) this.byUser.delete(userId);
  }

  /** A copy, so the caller may remove keys while walking it. */
  keysOf(userId: number): string[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** How many users have at least one indexed session (for tests). */
  get users(): number {
    return this.byUser.size;
  }
}
