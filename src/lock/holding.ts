import { randomBytes } from 'node:crypto';
import type { Release } from './types';

/**
 * Owner tokens for the locks held in a shared backend. They only need to differ between holders, across
 * processes too: a random prefix per lock, then a counter (one randomBytes per process, not one per
 * request).
 */
export class OwnerTokens {
  readonly prefix = randomBytes(16).toString('base64url');
  private taken = 0;

  next(): string {
    return `${this.prefix}.${++this.taken}`;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Tries `take` until it succeeds, waiting 2 ms, then doubling to at most 50 ms, with jitter so
 * instances do not poll in step; throws what `busy()` makes once the deadline has passed.
 */
export async function pollUntilTaken(
  take: () => boolean | Promise<boolean>,
  deadline: number,
  busy: () => Error,
): Promise<void> {
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (await take()) return;
    const left = deadline - Date.now();
    if (left <= 0) throw busy();
    await pause(Math.min(left, delay * (0.5 + Math.random())));
  }
}

/** Renews a lock held in a shared backend every ttl/3, so only a dead or frozen holder lets it expire. */
export function renewEvery(ttlMs: number, renew: () => void): NodeJS.Timeout {
  return setInterval(renew, Math.floor(ttlMs / 3)).unref();
}

/**
 * The release of a lock held in a shared backend: renewed every ttl/3 while held, so only a dead or
 * frozen holder lets it expire; released once, in the backend first and then the local queue, so the
 * next local waiter's take comes after this release.
 */
export function renewedRelease(
  ttlMs: number,
  renew: () => void,
  giveBack: (outcome?: { replaced: boolean }) => void,
  releaseLocal: Release,
): Release {
  const timer = renewEvery(ttlMs, renew);
  let released = false;
  return (outcome) => {
    if (released) return;
    released = true;
    clearInterval(timer);
    giveBack(outcome);
    releaseLocal(outcome);
  };
}
