import type { Request } from 'express';
import { HttpError } from '../errors';

/** No slot for the task, in place or in time: a fast 503 the client may retry, never a growing wait. */
export class BusyError extends HttpError {
  override name = 'BusyError';

  /** reason: what the 503 warning logs */
  constructor(readonly reason = 'password hash queue full') {
    super(503, 'Server busy, retry', { 'Retry-After': '1' });
  }
}

/** Aborts when the client leaves unanswered, so a hash still waiting is not spent on nobody. */
export function whenClientLeaves(req: Request): AbortSignal {
  const gone = new AbortController();
  req.res?.once('close', () => {
    if (!req.res?.writableEnded) gone.abort(new BusyError('client closed the connection'));
  });
  return gone.signal;
}

/**
 * Runs at most `limit` tasks at once; up to `maxWaiting` more wait in order, any beyond get BusyError.
 * A task that waits `maxWaitMs`, or whose `signal` aborts, leaves the line and never runs; a running
 * task is never cut short.
 */
export function createSemaphore(limit: number, maxWaiting = Infinity, maxWaitMs = Infinity) {
  let running = 0;
  const waiting: Array<() => void> = [];

  const queue = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const leave = (err: unknown) => {
        reject(err); // first, so that grant only cleans up
        waiting.splice(waiting.indexOf(grant), 1);
        grant();
      };
      const onAbort = () => leave(signal?.reason);
      // setTimeout would fire at once for an infinite delay, so no timer at all then
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(() => leave(new BusyError(`waited ${maxWaitMs} ms for a password hash`)), maxWaitMs)
        : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(grant);
    });

  return async function run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (running < limit) running++;
    else if (waiting.length >= maxWaiting) throw new BusyError();
    else await queue(signal);
    try {
      return await task();
    } finally {
      const next = waiting.shift(); // the first in line takes the slot straight on
      if (next) next();
      else running--;
    }
  };
}
