import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { type DestinationStream, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

declare module 'http' {
  interface IncomingMessage {
    /** the app's logger bound to this request's id */
    log: Logger;
  }
}

/**
 * Whether the log should be lines for a person to read: in development, at a terminal or under
 * `npm run dev`. Production, tests and anything piped keep JSON, one object a line, for machines.
 */
export function wantsPrettyLogs(
  env: { NODE_ENV?: string; npm_lifecycle_event?: string },
  stdoutIsTTY: boolean,
): boolean {
  if ((env.NODE_ENV ?? 'development') !== 'development') return false;
  return stdoutIsTTY || env.npm_lifecycle_event === 'dev';
}

// a request's line reads `request completed GET /increment 200 in 3 ms`; anything else as pino-pretty has it
const prettyOptions = {
  sync: true, // every line is out before process.exit
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,reqId,req,res,responseTime',
  messageFormat: '{msg}{if req.method} {req.method} {req.path} {res.status} in {responseTime} ms{end}',
};

/**
 * The app's logger: JSON, or readable lines when `pretty`. Anything that could hold a cookie, session
 * ID or secret is censored: an error (it may carry whatever its thrower attached), and a request or
 * response if one is ever logged. Named keys rather than `*.`: a wildcard walks every key of every
 * line, the request log's included, which never holds any of them.
 */
export function createLogger(
  level = 'info',
  destination?: DestinationStream,
  { pretty = false }: { pretty?: boolean } = {},
): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'err.cookie',
        'err.headers.cookie',
        'err.headers["set-cookie"]',
        'err.password',
        'err.secret',
        'err.sessionID',
        'req.headers.cookie',
        'req.sessionID',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  };
  const out = destination ?? (pretty ? pinoPretty(prettyOptions) : undefined); // stdout unless a test captures it
  return out ? pino(options, out) : pino(options);
}

// what req.log and the request's line need, kept on the request as one plain property
const LOG_STATE = Symbol('request log');
interface LogState {
  logger: Logger;
  reqId: number;
  start: number;
  child?: Logger;
}
type Logged = IncomingMessage & { [LOG_STATE]?: LogState };

/**
 * req.log, defined once on the requests' prototype rather than on each request: a getter added to
 * the request itself would change its shape on every request, and the router reads it all the way.
 * Most requests never log anything of their own, so their child logger is made on first use.
 */
function defineLogGetter(req: IncomingMessage): void {
  const proto = Object.getPrototypeOf(req) as object;
  if (Object.hasOwn(proto, 'log')) return; // each app's request prototype gets it once
  Object.defineProperty(proto, 'log', {
    configurable: true,
    get(this: Logged) {
      const state = this[LOG_STATE];
      if (!state) throw new Error('req.log used before the request logger ran');
      state.child ??= state.logger.child({ reqId: state.reqId });
      return state.child;
    },
  });
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

const { streamSym, chindingsSym } = pino.symbols;
type RequestOutcome =
  | 'request completed'
  | 'request aborted'
  | 'request refused: unavailable'
  | 'request errored';
// pino's documented symbols for integrations: the stream it writes to and its bindings as JSON
const streamOf = (logger: Logger) =>
  (logger as unknown as Record<symbol, { write(line: string): void }>)[streamSym];
const bindingsOf = (logger: Logger) => (logger as unknown as Record<symbol, string>)[chindingsSym];

/**
 * The request's line, as `logger.info(fields, msg)` would write it with pino's default options
 * (level, time, the logger's bindings, the fields, msg), built in one template and handed to the
 * logger's own stream. Half the cost of a logger call: nothing in it (method, path, status, times)
 * needs pino's serializers or redaction. test/logger.test.ts checks it against pino's own line.
 */
export function writeRequestLine(
  logger: Logger,
  level: 'info' | 'warn' | 'error',
  fields: { reqId: number; method: string; path: string; status: number; responseTime: number },
  msg: RequestOutcome,
): void {
  if (!logger.isLevelEnabled(level)) return;
  const { reqId, method, path, status, responseTime } = fields;
  streamOf(logger)?.write(
    `{"level":${logger.levels.values[level]},"time":${Date.now()}${bindingsOf(logger)},"reqId":${reqId},"req":{"method":${JSON.stringify(method)},"path":${JSON.stringify(path)}},"res":{"status":${status}},"responseTime":${responseTime},"msg":"${msg}"}\n`,
  );
}

// one listener for every request, reading what the logger noted on it: no closure per request
function logOnClose(this: ServerResponse & { req: Logged }) {
  const state = this.req[LOG_STATE];
  if (!state) return;
  const status = this.statusCode;
  const fields = {
    reqId: state.reqId,
    method: this.req.method ?? '',
    path: pathOf((this.req as { originalUrl?: string }).originalUrl ?? this.req.url ?? ''),
    status,
    responseTime: Date.now() - state.start,
  };
  const { logger } = state;
  if (!this.writableFinished) writeRequestLine(logger, 'info', fields, 'request aborted');
  else if (status === 503) writeRequestLine(logger, 'warn', fields, 'request refused: unavailable');
  else if (status >= 500) writeRequestLine(logger, 'error', fields, 'request errored');
  else writeRequestLine(logger, 'info', fields, 'request completed');
}

/**
 * One line per request when it ends: id, method, path (no query string), status and time; never
 * headers or cookies. Hand-written rather than pino-http, which builds two child loggers per request
 * and serialises the request into one of them, a large share of a short request's CPU.
 */
export function requestLogger(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    defineLogGetter(req);
    (req as Logged)[LOG_STATE] = { logger, reqId: ++lastId, start: Date.now() };
    res.on('close', logOnClose); // 'close' comes once: no once() wrapper needed
    next();
  };
}

/**
 * At most one line per kind per interval: `throttle(kind, log)` calls `log(count)` with how many
 * were asked for since the kind's last line (this one included), or skips it. A flood of refusals
 * then writes a line a second, not one per request. One per app: nothing shared between apps.
 */
export function createLogThrottle(clock: () => number, intervalMs = 1000) {
  const kinds = new Map<string, { loggedAt: number; count: number }>(); // kinds are a few fixed messages
  return (kind: string, log: (count: number) => void): void => {
    const now = clock();
    const seen = kinds.get(kind) ?? { loggedAt: Number.NEGATIVE_INFINITY, count: 0 };
    kinds.set(kind, seen);
    seen.count++;
    if (now - seen.loggedAt < intervalMs) return;
    log(seen.count);
    seen.loggedAt = now;
    seen.count = 0;
  };
}
