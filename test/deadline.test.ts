import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../src/deadline';
import { StoreUnavailableError } from '../src/errors';

afterEach(() => {
  vi.useRealTimers();
});

describe('withDeadline', () => {
  it('answers with the value of a call that settles in time, and leaves no timer behind', async () => {
    vi.useFakeTimers();

    const value = await withDeadline(Promise.resolve(42), 1000);

    expect(value).toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes on the failure of a call that fails in time, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const failure = new Error('connection reset');

    await expect(withDeadline(Promise.reject(failure), 1000)).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails with StoreUnavailableError, naming the call, once the deadline passes first', async () => {
    vi.useFakeTimers();
    let settle: (value: number) => void = () => {};
    const slow = new Promise<number>((resolve) => {
      settle = resolve;
    });

    const answer = withDeadline(slow, 1000, 'redis get');
    const outcome = expect(answer).rejects.toThrow(StoreUnavailableError);
    vi.advanceTimersByTime(1000);

    await outcome;
    await expect(answer).rejects.toMatchObject({ reason: 'redis get timed out after 1000 ms' });
    settle(1); // a late answer changes nothing
    await expect(answer).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
