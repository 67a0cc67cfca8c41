import { type Request, Router } from 'express';
import type { Config } from '../config';
import { html, page } from '../http/html';
import { allow, noStore, reply } from '../http/replies';
import { endSession, requireSession, saveSession } from '../session/middleware';

/** What /clear and a logout did, in words. */
export const CLEARED =
  'The session was destroyed: its entry in the store was deleted, and the cookie was expired (Expires=Thu, 01 Jan 1970), so your browser dropped it. Your next visit starts a new session.';

// the Host header as sent; a host mismatch is invisible to the server, so the page says which one it saw
const hostOf = (req: Request) => (req.headers.host ?? 'an unknown host').slice(0, 100);

/** The lesson's demo: a per-session counter and a way to destroy the session. */
export function demoRoutes(config: Config): Router {
  const router = Router();

  router
    .route('/increment')
    .get(async (req, res) => {
      const session = requireSession(req);
      const count = (session.count ?? 0) + 1;
      session.count = count;
      await saveSession(req); // a 200 means the store has it
      noStore(res);
      reply(req, res, 200, {
        json: { count },
        html: () =>
          page(
            'Session counter',
            html`<p>You have visited this page <strong id="count">${count}</strong> time${count === 1 ? '' : 's'} in this session.</p>
<p>Session ID starts with <code id="sid">${req.sessionID.slice(0, 6)}</code> (compare it with the
<code>${config.session.cookieName}</code> cookie in your browser's devtools, where it shows URL-encoded as <code>s%3A…</code>).</p>
<p id="served-for">This page was served for <code>${hostOf(req)}</code>: cookies for <code>localhost</code> and
<code>127.0.0.1</code> are separate, so each starts its own count.</p>
<p><a href="/increment">Increment again</a> · <a href="/clear">Clear the session</a> · <a href="/session">Your session as JSON</a> · <a href="/">Home</a></p>`,
          ),
      });
    })
    .all(allow('GET', 'HEAD'));

  router
    .route('/clear')
    .get(async (req, res) => {
      await endSession(req, res, config, 'Error clearing session');
      noStore(res);
      reply(req, res, 200, {
        json: { message: 'Session cleared' },
        html: () =>
          page(
            'Session cleared',
            html`<p id="cleared">${CLEARED}</p>
<p><a href="/increment">Start a new count</a> · <a href="/">Home</a></p>`,
          ),
      });
    })
    .all(allow('GET', 'HEAD'));

  return router;
}
