import { Router } from 'express';
import { html, page } from '../http/html';
import { allow, noStore, reply } from '../http/replies';
import { inspect } from '.';

/** The lesson's login workflow, step by step: the same steps the diagram numbers. */
export const WORKFLOW_STEPS = [
  ['First visit: the browser sends no cookie', 'GET /increment', 'src/demo/routes.ts'],
  ['The store saves the new session under the SHA-256 of its ID', 'store.set', 'src/stores/key.ts'],
  ['Session created: Set-Cookie: sid=s:<id>.<sig>; HttpOnly', 'express-session', 'src/app.ts'],
  ['The browser sends the cookie back on every request', 'Cookie: sid=s:<id>.<sig>', 'the browser'],
  ['The server checks the signature and looks the ID up in the store', 'store.get', 'src/app.ts'],
  ['The browser posts the credentials', 'POST /login', 'src/login/routes.ts'],
  ['The password is checked against its scrypt hash', 'hasher.verify', 'src/login/password.ts'],
  [
    "New session ID (regenerate), with the new login row's id stored",
    'startLogin',
    'src/login/start-login.ts',
  ],
  ['The browser gets the cookie with the new ID', '303 to /profile', 'src/login/attempt.ts'],
  [
    'Later requests carry the new cookie; the login row is looked up',
    'GET /profile',
    'src/login/current-login.ts',
  ],
  ['The browser asks to log out', 'POST /logout', 'src/login/routes.ts'],
  ['The store entry is deleted', 'req.session.destroy', 'src/session.ts'],
  ['The cookie is expired: Expires=Thu, 01 Jan 1970', 'res.clearCookie', 'src/session.ts'],
] as const;

/** GET /session (the inspector as JSON) and GET /how-it-works (the workflow diagram). */
export function sessionRoutes(): Router {
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

  router
    .route('/how-it-works')
    .get((req, res) =>
      reply(req, res, 200, {
        json: {
          diagram: '/workflow.svg',
          steps: WORKFLOW_STEPS.map(([what, route, file]) => ({ what, route, file })),
        },
        html: () =>
          page(
            'How a login session works',
            html`<figure class="diagram"><img src="/workflow.svg" width="960" height="872"
  alt="Browser, server and session store as three lanes, with the numbered steps listed below">
<figcaption>The login session cookie workflow: browser, server and session store.</figcaption></figure>
<ol class="steps">${WORKFLOW_STEPS.map(
              ([what, route, file]) =>
                html`<li>${what} <small>(<code>${route}</code>, <code>${file}</code>)</small></li>`,
            )}</ol>
<p><a href="/increment">Try the counter</a> · <a href="/login">Log in</a> · <a href="/session">Your session</a> · <a href="/">Home</a></p>`,
          ),
      }),
    )
    .all(allow('GET', 'HEAD'));

  return router;
}
