import { HttpError } from '../errors';

/** Too many tasks already wait for a slot: a fast 503 the client may retry, never a growing queue. */
export class BusyError extends HttpError {
  readonly reason = 'password hash queue full'; // what the 503 warning logs
  constructor() {
    super(503, 'Server busy, retry', { 'Retry-After': '1' });
    this.name = 'BusyError';
  }
}

/**
 * Runs at most `limit` tasks at once; up to `maxWaiting` more wait their turn in order, and any
 * beyond that are refused at once with BusyError.
 */
export function createSemaphore(limit: number, maxWaiting = Number.POSITIVE_INFINITY) {
  let running = 0;
  const waiting: Array<() => void> = [];

  const release = () => {
    const next = waiting.shift();
    if (next)
      next(); // hand the slot straight on
    else running--;
  };

  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < limit) running++;
    else if (waiting.length >= maxWaiting) throw new BusyError();
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
