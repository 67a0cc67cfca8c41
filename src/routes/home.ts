import { Router } from 'express';
import { allow, reply } from '../http';
import { html, page } from '../views';

/** The front page: what the demo shows and where to click. */
export function homeRoutes(): Router {
  const router = Router();
  router
    .route('/')
    .get((req, res) => {
      reply(req, res, 200, {
        json: { links: ['/increment', '/clear'] },
        html: () =>
          page(
            'Sessions with express-session',
            html`<p>Each browser gets its own session: the server keeps your count in a session store and your
browser only holds a signed, httpOnly cookie with the session ID.</p>
<p>Open <a href="/increment">/increment</a> in two browsers to see two separate counts, and
<a href="/clear">/clear</a> to destroy one session.</p>`,
          ),
      });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}
