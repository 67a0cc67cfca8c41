import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';
import { withInspector } from './inspector';
import { html, page } from './views';

// clients send a handful of distinct Accept headers; negotiating each once saves parsing it per request
const MAX_REMEMBERED_ACCEPTS = 100;
const htmlByAccept = new Map<string | undefined, boolean>();

/** Browsers get HTML; curl, fetch and anything that prefers JSON or accepts all get JSON. */
export function prefersHtml(req: Request): boolean {
  const accept = req.headers.accept;
  let html = htmlByAccept.get(accept);
  if (html === undefined) {
    html = req.accepts(['json', 'html']) === 'html';
    // bounded, so a client sending endless made-up headers costs memory once; oldest out first
    if (htmlByAccept.size >= MAX_REMEMBERED_ACCEPTS) htmlByAccept.delete(htmlByAccept.keys().next().value);
    htmlByAccept.set(accept, html);
  }
  return html;
}

/** Sends JSON or an HTML page, whichever the client prefers, and says it varies by Accept. */
export function reply(
  req: Request,
  res: Response,
  status: number,
  body: { json: unknown; html: () => string },
) {
  res.vary('Accept').status(status);
  if (prefersHtml(req))
    res.type('html').send(withInspector(req, res, body.html())); // every page shows the session
  else res.json(body.json);
}

/** Marks a response as per-session: never cached, and keyed by cookie in any cache that ignores no-store. */
export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store').vary('Cookie');
}

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

/** The last handler: safe messages for 4xx and known 5xx, a generic 500 otherwise; details only in the log. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  // body-parser and friends mark client errors with status/expose
  const status: number = err instanceof HttpError ? err.status : (err?.status ?? err?.statusCode ?? 500);
  const safe = err instanceof HttpError || (status < 500 && err?.expose === true);
  // an unavailable or busy dependency is expected under faults: one short line, no stack, per request
  if (status === 503) req.log.warn({ reason: err?.reason ?? err?.message }, 'service unavailable');
  else if (status >= 500) req.log.error({ err }, 'request failed');
  else req.log.debug({ err: { message: err?.message, status } }, 'client error');
  if (err instanceof HttpError) res.set(err.headers);
  const code = status >= 400 && status < 600 ? status : 500;
  replyMessage(req, res, code, safe ? err.message : code >= 500 ? 'Internal Server Error' : 'Bad Request');
};
