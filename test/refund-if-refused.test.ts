import { describe, expect, it } from 'vitest';
import { HttpError, StoreUnavailableError, UserStoreUnavailableError } from '../src/errors';
import { BusyError } from '../src/login/semaphore';
import { refundIfRefused } from '../src/login/throttle';

/** refundIfRefused around work that ends as given; how many refunds it made and what came out. */
async function outcome(work: () => Promise<unknown>) {
  let refunds = 0;
  const result = await refundIfRefused(work, async () => {
    refunds++;
  }).catch((err: unknown) => err);
  return { refunds, result };
}

describe('refundIfRefused', () => {
  it('gives the attempt back when the work is refused with a 503, and still throws it', async () => {
    for (const err of [
      new BusyError(),
      new BusyError('waited 2000 ms for a password hash'),
      new StoreUnavailableError(),
      new UserStoreUnavailableError(),
    ]) {
      expect(await outcome(() => Promise.reject(err)), err.reason).toEqual({ refunds: 1, result: err });
    }
  });

  it('keeps the attempt counted when the password was checked, even when it was wrong', async () => {
    expect(await outcome(async () => false)).toEqual({ refunds: 0, result: false });
    expect(await outcome(async () => true)).toEqual({ refunds: 0, result: true });
  });

  it('keeps the attempt counted on any other error', async () => {
    const bug = new Error('boom');
    const internal = new HttpError(500, 'Internal Server Error');

    expect(await outcome(() => Promise.reject(bug))).toEqual({ refunds: 0, result: bug });
    expect(await outcome(() => Promise.reject(internal))).toEqual({ refunds: 0, result: internal });
  });

  it('wraps a whole block: a user lookup that fails before any hash is refunded too', async () => {
    let hashed = false;
    const lookup = () => Promise.reject(new UserStoreUnavailableError('query timed out'));

    const { refunds } = await outcome(async () => {
      await lookup();
      hashed = true;
    });

    expect(refunds).toBe(1);
    expect(hashed).toBe(false);
  });

  it('answers with the refusal even when the refund itself fails', async () => {
    const busy = new BusyError();

    const result = await refundIfRefused(
      () => Promise.reject(busy),
      () => Promise.reject(new Error('counter store down')),
    ).catch((err: unknown) => err);

    expect(result).toBe(busy);
  });
});
