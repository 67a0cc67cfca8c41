import { Router } from 'express';
import { html, page } from '../http/html';
import { allow, noStore, reply } from '../http/replies';
import { inspect } from './inspect';

/** GET /session: the inspector panel as a page of its own, or as JSON. */
export function inspectorRoutes(): Router {
  const router = Router();

  router
    .route('/session')
    .get((req, res) => {
      const view = inspect(req, res); // reads only: never creates, saves or changes a session
      noStore(res);
      reply(req, res, 200, {
        json: view,
        html: () =>
          page(
            'Your session',
            html`<p>Everything below is what this server knows about your browser's session. Visiting this page
changes nothing in it; <a href="/increment">/increment</a> does. Scripts can ask for the same as JSON:</p>
<p><code>curl -b cookies.txt -c cookies.txt http://localhost:3000/session</code></p>
<p><a href="/increment">Session counter</a> · <a href="/how-it-works">How it works</a> · <a href="/">Home</a></p>`,
          ),
      });
    })
    .all(allow('GET', 'HEAD'));

  return router;
}
