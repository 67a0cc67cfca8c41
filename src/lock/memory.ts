import { type Release, SessionBusyError, type SessionLock } from './types';

/**
 * An in-process lock per key: a Map from key to its FIFO queue of waiters. A key is in the map
 * exactly while someone holds it, so the uncontended path is one lookup, one insert, one delete.
 */
export class MemoryLock implements SessionLock {
  private readonly queues = new Map<string, Array<() => void>>();

  /** waitMs: the longest a request waits for the key; past maxWaiters queued, more are turned away */
  constructor(private readonly options: { waitMs: number; maxWaiters: number }) {}

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
    if (!queue) return Promise.resolve(this.tryAcquire(key) as Release);
    if (queue.length >= this.options.maxWaiters)
      return Promise.reject(new SessionBusyError(`${queue.length} requests already waiting`));
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(this.releaser(key));
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(grant), 1);
        reject(new SessionBusyError(`waited ${waitMs} ms`));
      }, waitMs);
      queue.push(grant);
    });
  }

  private releaser(key: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // ownership passes straight to the next in line, so no newcomer can cut in
      const grant = this.queues.get(key)?.shift();
      if (grant) grant();
      else this.queues.delete(key);
    };
  }
}
