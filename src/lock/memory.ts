import { type Release, SessionBusyError, type SessionLock } from './types';

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

  constructor(private readonly options: MemoryLockOptions) {}

  /** How many keys are held right now (for tests). */
  get size(): number {
    return this.queues.size;
  }

  tryAcquire(key: string): Release | undefined {
    if (this.queues.has(key)) return undefined;
    this.queues.set(key, []);
    return this.releaser(key);
  }

  acquire(key: string, waitMs = this.options.waitMs): Promise<Release> {
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
          resolve(this.releaser(key));
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
    return () => {
      if (released) return;
      released = true;
      const next = this.queues.get(key)?.shift();
      if (next)
        next.grant(); // ownership passes straight on, so no newcomer can cut in
      else this.queues.delete(key);
    };
  }
}
