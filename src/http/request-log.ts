import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

declare module 'http' {
  interface IncomingMessage {
    /** the app's logger bound to this request's id */
    log: Logger;
  }
}

const pathOf = (url: string) => url.split('?')[0]; // never the query string

/**
 * One line per request when it ends, by one call of the logger: id, method, path, status and time;
 * never headers or cookies. req.log is the logger bound to the request's id.
 * (pino-http builds two child loggers and serialises the whole request for every request: a sixth of
 * a short request's CPU in bench scenario 3; see bench/README.md.)
 */
export function requestLogger(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    const reqId = ++lastId;
    const start = Date.now();
    req.log = logger.child({ reqId });
    res.once('close', () => {
      const status = res.statusCode;
      const line = { reqId, req: { method: req.method, path: pathOf(req.originalUrl) }, res: { status } };
      const done = { ...line, responseTime: Date.now() - start };
      if (!res.writableFinished) logger.info(done, 'request aborted');
      else if (status === 503) logger.warn(done, 'request refused: unavailable');
      else if (status >= 500) logger.error(done, 'request errored');
      else logger.info(done, 'request completed');
    });
    next();
  };
}
