import { ReplacedSessions } from './replaced-sessions';
import { type Release, SessionBusyError, type SessionLock, SessionReplacedError } from './types';

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

export interface MemoryLockOptions {
  /** longest time a request waits for the key */
  waitMs: number;
  /** most requests queued per key; more are turned away at once */
  maxWaiters: number;
}

/**
 * An in-process lock per key: a Map from key to its FIFO queue of waiters. A key is in the map
 * exactly while someone holds it, so the uncontended path is one lookup, one insert, one delete.
 */
export class MemoryLock implements SessionLock {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly replaced = new ReplacedSessions();

  constructor(private readonly options: MemoryLockOptions) {}

  /** How many keys are held right now (for tests and metrics). */
  get size(): number {
    return this.queues.size;
  }

  /** The keys held right now: for a lock that hands them over to a shared table. */
  heldKeys(): IterableIterator<string> {
    return this.queues.keys();
  }

  /** The replaced keys still turned away, each with when it stops being. */
  replacedKeys(): IterableIterator<[string, number]> {
    return this.replaced.live();
  }

  /** Turns `key` away as replaced until `until` (a marker another process wrote). */
  markReplaced(key: string, until: number): void {
    this.replaced.add(key, until);
  }

  tryAcquire(key: string): Release | undefined {
    if (this.queues.has(key) || this.replaced.has(key)) return undefined; // acquire waits or refuses
    this.queues.set(key, []);
    return this.releaser(key);
  }

  acquire(key: string, waitMs = this.options.waitMs): Promise<Release> {
    if (this.replaced.has(key)) return Promise.reject(new SessionReplacedError());
    const queue = this.queues.get(key);
    if (!queue) {
      this.queues.set(key, []);
      return Promise.resolve(this.releaser(key));
    }
    if (queue.length >= this.options.maxWaiters) {
      return Promise.reject(new SessionBusyError(`${queue.length} requests already waiting`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          const release = this.releaser(key);
          if (!this.replaced.has(key)) return resolve(release);
          release(); // straight on to the next: everyone in this line sent the old cookie
          reject(new SessionReplacedError());
        },
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(new SessionBusyError(`waited ${waitMs} ms`));
        }, waitMs),
      };
      queue.push(waiter);
    });
  }

  private releaser(key: string): Release {
    let released = false;
    return (outcome) => {
      if (released) return;
      released = true;
      if (outcome?.replaced) this.replaced.add(key);
      const queue = this.queues.get(key);
      const next = queue?.shift();
      if (next)
        next.grant(); // ownership passes straight on, so no newcomer can cut in
      else this.queues.delete(key);
    };
  }
}
