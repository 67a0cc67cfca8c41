import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, pino } from 'pino';
import { pinoHttp } from 'pino-http';

export type { Logger };

/** The app's logger. Anything that could hold a cookie, session ID or secret is censored. */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    redact: {
      paths: [
        '*.cookie',
        '*.headers.cookie',
        '*.headers["set-cookie"]',
        '*.password',
        '*.secret',
        '*.sessionID',
      ],
      censor: '[redacted]',
    },
  });
}

/** One line per request: method, path (no query string), status and time; never headers or cookies. */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    serializers: {
      req: (req: IncomingMessage & { method: string; url: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: ServerResponse) => ({ status: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
  });
}
