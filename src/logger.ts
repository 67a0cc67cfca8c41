import { type DestinationStream, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** Lines for a person in development, at a terminal or under `npm run dev`; else JSON, for machines. */
export const wantsPrettyLogs = (env: { NODE_ENV?: string; npm_lifecycle_event?: string }, isTTY: boolean) =>
  (env.NODE_ENV ?? 'development') === 'development' && (isTTY || env.npm_lifecycle_event === 'dev');

// a request's line reads `request completed GET /increment 200 in 3 ms`; anything else as pino-pretty has it
const prettyOptions = {
  sync: true, // every line is out before process.exit
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,reqId,req,res,responseTime',
  messageFormat: '{msg}{if req.method} {req.method} {req.path} {res.status} in {responseTime} ms{end}',
};

/**
 * The app's logger: JSON, or readable lines when `pretty`. Whatever could hold a cookie, session ID or
 * secret is censored: in an error (its thrower may have attached anything), or a request or response
 * if one is ever logged. Named keys, not `*.`: a wildcard walks every key of every line.
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

/**
 * At most one line per kind per interval: `throttle(kind, log)` calls `log(count)` with how many were
 * asked for since the kind's last line (this one included), or skips it. One per app.
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
