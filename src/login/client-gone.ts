import type { Request } from 'express';
import { BusyError } from './semaphore';

/**
 * Aborts when the client closes the connection before its answer: a login still waiting for a
 * password hash then leaves the queue instead of spending a hash on nobody. The reason is a 503
 * (never sent: the client is gone), so the attempt counts as none.
 */
export function whenClientLeaves(req: Request): AbortSignal {
  const gone = new AbortController();
  req.res?.once('close', () => {
    if (!req.res?.writableEnded) gone.abort(new BusyError('client closed the connection'));
  });
  return gone.signal;
}
