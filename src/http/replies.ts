import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';
import { withInspector } from '../inspector';
import { createLogThrottle } from '../logger';
import { html, page } from './html';
import { prefersHtml } from './negotiate';

export { prefersHtml };

/** Sends JSON or an HTML page, whichever the client prefers, and says it varies by Accept. */
export function reply(
  req: Request,
  res: Response,
  status: number,
  body: { json: unknown; html: () => string },
) {
  addVary(res, 'Accept');
  res.statusCode = status; // res.status would check the number again: these are the app's own
  if (prefersHtml(req))
    res.type('html').send(withInspector(req, res, body.html())); // every page shows the session
  else sendJson(res, body.json);
}

/**
 * What res.json sends (the same Content-Type and body) without its detour through res.send, which
 * would look for json settings, an ETag (off here) and freshness. Node sets Content-Length for a
 * single end(), and sends no body for HEAD.
 */
export function sendJson(res: Response, body: unknown): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** Marks a response as per-session: never cached, and keyed by cookie in any cache that ignores no-store. */
export function noStore(res: Response): void {
  if (res.getHeader('cache-control') === 'no-store') return; // done already: only this sets it, with Vary
  res.setHeader('Cache-Control', 'no-store');
  addVary(res, 'Cookie');
}

/** Vary gains `field`: set outright when there is none yet (the usual case), merged by Express otherwise. */
function addVary(res: Response, field: string): void {
  if (res.hasHeader('vary')) res.vary(field);
  else res.setHeader('Vary', field);
}

/**
 * The one cache rule for cookies: any response that sets one is no-store and varies by Cookie,
 * whichever route or error sent it. Runs as the headers go out, by wrapping writeHead as on-headers
 * does; mounted before express-session, whose own wrapper is outer, so it sees the cookie set there.
 */
export const noStoreWithCookies: RequestHandler = (_req, res, next) => {
  const writeHead = res.writeHead as (...args: unknown[]) => Response;
  res.writeHead = function (this: Response, ...args: unknown[]) {
    if (this.hasHeader('set-cookie')) noStore(this);
    return writeHead.apply(this, args);
  } as Response['writeHead'];
  next();
};

/** A short message as JSON `{ error }` or a small page with a link home. */
export function replyMessage(req: Request, res: Response, status: number, message: string) {
  reply(req, res, status, {
    json: { error: message },
    html: () => page(message, html`<p><a href="/">Home</a></p>`),
  });
}

/** 405 for a known path asked with a method it does not serve. */
export function allow(...methods: string[]): RequestHandler {
  return (req, res) => {
    res.set('Allow', methods.join(', '));
    replyMessage(req, res, 405, 'Method Not Allowed');
  };
}

export const notFound: RequestHandler = (req, res) => replyMessage(req, res, 404, 'Not Found');

/**
 * The last handler: safe messages for 4xx and known 5xx, a generic 500 otherwise; details only in the
 * log. One per app, with the app's clock, for its own count of refusals.
 */
export function createErrorHandler(clock: () => number = Date.now): ErrorRequestHandler {
  const throttle = createLogThrottle(clock);
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    // body-parser and friends mark client errors with status/expose
    const status: number = err instanceof HttpError ? err.status : (err?.status ?? err?.statusCode ?? 500);
    const safe = err instanceof HttpError || (status < 500 && err?.expose === true);
    if (status === 503) {
      // expected under faults and floods: one short line a second per kind (the message the client
      // gets), with how many it stands for; the request log still has every request
      const kind = err instanceof HttpError ? err.message : 'Service Unavailable';
      throttle(kind, (refusals) =>
        req.log.warn({ kind, refusals, reason: err?.reason ?? err?.message }, 'service unavailable'),
      );
    } else if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err: { message: err?.message, status } }, 'client error');
    if (err instanceof HttpError) res.set(err.headers);
    const code = status >= 400 && status < 600 ? status : 500;
    replyMessage(req, res, code, safe ? err.message : code >= 500 ? 'Internal Server Error' : 'Bad Request');
  };
}
