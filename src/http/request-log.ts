import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

declare module 'http' {
  interface IncomingMessage {
    log: Logger; // the app's logger bound to this request's id
  }
}

/**
 * One line per request when it ends, by one call of the logger: id, method, path (never the query
 * string), status and time; never headers or cookies. Not pino-http, which serialises the whole
 * request every time: a sixth of a short request's CPU (bench/README.md).
 */
export function requestLogger(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    const reqId = ++lastId;
    const start = Date.now();
    req.log = logger.child({ reqId });
    res.once('close', () => {
      const status = res.statusCode;
      const request = { method: req.method, path: req.originalUrl.split('?')[0] };
      const line = { reqId, req: request, res: { status }, responseTime: Date.now() - start };
      if (!res.writableFinished) logger.info(line, 'request aborted');
      else if (status === 503) logger.warn(line, 'request refused: unavailable');
      else if (status >= 500) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    });
    next();
  };
}
