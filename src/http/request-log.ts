import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';

const pathOf = (url = '') => url.split('?')[0]; // never the query string

/**
 * One line per request when it ends (pino-http): id, method, path, status and time; never headers
 * or cookies. req.log is the logger bound to the request's id.
 */
export function requestLogger(logger: Logger) {
  let lastId = 0;
  return pinoHttp({
    logger,
    genReqId: () => ++lastId,
    quietReqLogger: true, // req.log's own lines carry the request id, not the whole request
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, path: pathOf(req.url) }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.writableEnded || res.statusCode < 500) return 'info';
      return res.statusCode === 503 ? 'warn' : 'error';
    },
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse) =>
      res.writableEnded && !req.readableAborted ? 'request completed' : 'request aborted', // the client went away first
    customErrorMessage: (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.writableEnded) return 'request aborted';
      return res.statusCode === 503 ? 'request refused: unavailable' : 'request errored';
    },
    // the error handler logs what went wrong; the request's line says only how it ended
    customErrorObject: (
      _req: IncomingMessage,
      _res: ServerResponse,
      _err: Error,
      val: Record<string, unknown>,
    ) => ({
      res: val.res,
      responseTime: val.responseTime,
    }),
  });
}
