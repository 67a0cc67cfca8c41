import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors';
import { createLogThrottle } from '../logger';
import { html, page } from './html';

/** Browsers get HTML; curl, fetch and anything that prefers JSON or accepts all get JSON. */
export const prefersHtml = (req: Request) => req.accepts(['json', 'html']) === 'html';

/** Every JSON answer: ends with a newline, so curl's output does not run into the prompt. */
export function sendJson(res: Response, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.setHeader('Content-Type', 'application/json; charset=utf-8'); // Node's own: res.set looks up a charset
  res.setHeader('Content-Length', Buffer.byteLength(text)); // else express-session's end may chunk it
  res.end(text);
}

type Answer = { json: unknown; html: () => string }; // the page is rendered only for a browser

/** JSON or the page, as the client prefers; a page passes through res.locals.decoratePage if set. */
export function reply(req: Request, res: Response, status: number, body: Answer) {
  res.vary('Accept').statusCode = status;
  if (!prefersHtml(req)) return sendJson(res, body.json);
  const decorate = res.locals.decoratePage as ((page: string) => string) | undefined;
  res.type('html').send(decorate ? decorate(body.html()) : body.html());
}

/** Marks a response as per-session: never cached, and keyed by cookie in any cache that ignores no-store. */
export function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.vary('Cookie');
}

/**
 * The one cache rule for cookies: any response that sets one is no-store, whichever route or error
 * sent it. Wraps writeHead (as on-headers does) before express-session does, so it sees its cookie.
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
 * The last handler: safe messages for 4xx and known 5xx, a generic 500 otherwise, details only in the
 * log. Failures that repeat under a fault (503s, saves failing after the answer) are logged at most
 * once a second per kind.
 */
export function createErrorHandler(clock: () => number = Date.now): ErrorRequestHandler {
  const throttle = createLogThrottle(clock);
  return (err, req, res, next) => {
    const reason = err?.reason ?? err?.message;
    if (res.headersSent) {
      // express-session saves or touches inside res.end: the answer is out, so log it and keep it
      throttle('session save after the answer', (failures) =>
        req.log.warn({ failures, reason }, 'session store failed after the answer'),
      );
      return res.writableEnded ? undefined : next(err); // half sent: Express ends the connection
    }
    const status: number = err?.status ?? err?.statusCode ?? 500; // body-parser's too, with expose
    const safe = err instanceof HttpError || (status < 500 && err?.expose === true);
    if (status === 503) {
      const kind = err instanceof HttpError ? err.message : 'Service Unavailable';
      throttle(kind, (refusals) => req.log.warn({ kind, refusals, reason }, 'service unavailable'));
    } else if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err: { message: err?.message, status } }, 'client error');
    if (err instanceof HttpError) res.set(err.headers);
    const code = status >= 400 && status < 600 ? status : 500;
    replyMessage(req, res, code, safe ? err.message : code >= 500 ? 'Internal Server Error' : 'Bad Request');
  };
}
