import { describe, expect, it } from 'vitest';
import { MemoryLock } from '../src/lock/memory';
import { SessionReplacedError } from '../src/lock/types';

const options = { waitMs: 1000, maxWaiters: 10 };

describe('MemoryLock.tryAcquire', () => {
  it('holds a free key at once, and a second caller then waits in line for it', async () => {
    const lock = new MemoryLock(options);
    const release = lock.tryAcquire('k');
    expect(release).toBeTypeOf('function');
    expect(lock.tryAcquire('k')).toBeUndefined();

    const next = lock.acquire('k');
    release?.();

    expect(await next).toBeTypeOf('function');
  });

  it('leaves a replaced key to acquire, which refuses it', async () => {
    const lock = new MemoryLock(options);
    lock.tryAcquire('k')?.({ replaced: true });

    expect(lock.tryAcquire('k')).toBeUndefined();
    await expect(lock.acquire('k')).rejects.toBeInstanceOf(SessionReplacedError);
  });
});
