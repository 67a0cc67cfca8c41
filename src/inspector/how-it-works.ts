import { Router } from 'express';
import { html, page } from '../http/html';
import { allow, reply } from '../http/replies';

/**
 * The lesson's login workflow, step by step, in three phases: the same steps the diagram numbers.
 * Each: what happens, the route or call, the file, and what the session store answered (if it was asked).
 */
export const WORKFLOW_STEPS = [
  ['First visit: the browser sends no cookie', 'GET /increment', 'src/demo/routes.ts'],
  [
    'The store saves the new session under the SHA-256 of its ID',
    'store.set',
    'src/stores/hashed-keys.ts',
    'OK',
  ],
  ['Session created: Set-Cookie: sid=s:<id>.<sig>; HttpOnly', 'express-session', 'src/app.ts'],
  ['The browser sends the cookie back on every request', 'Cookie: sid=s:<id>.<sig>', 'the browser'],
  [
    'The server checks the signature and looks the ID up in the store',
    'store.get',
    'src/app.ts',
    'the session, {count: 1}',
  ],
  ['The browser posts the credentials', 'POST /login', 'src/login/routes.ts'],
  ['The password is checked against its scrypt hash', 'hasher.verify', 'src/login/password.ts'],
  [
    "New session ID (regenerate), the new login row's id stored",
    'startLogin',
    'src/login/start-login.ts',
    'the old entry deleted, the new one saved',
  ],
  ['The browser gets the cookie with the new ID', '303 to /profile', 'src/login/attempt.ts'],
  [
    'Later requests carry the new cookie; the login row is looked up',
    'GET /profile',
    'src/login/current-login.ts',
  ],
  ['The browser asks to log out', 'POST /logout', 'src/login/routes.ts'],
  ['The store entry is deleted', 'req.session.destroy', 'src/session.ts', 'deleted'],
  ['The cookie is expired: Expires=Thu, 01 Jan 1970', 'res.clearCookie', 'src/session.ts'],
] as const;

// where each phase starts, by step index
const PHASES: Array<[number, string]> = [
  [0, 'The counter'],
  [5, 'Logging in'],
  [10, 'Logging out'],
];

const step = ([what, route, file, answer]: (typeof WORKFLOW_STEPS)[number]) =>
  html`<li>${what} <small>(<code>${route}</code>, <code>${file}</code>)</small>${
    answer ? html`. <span class="answer">The store answers: ${answer}.</span>` : ''
  }</li>`;

const phases = () =>
  PHASES.map(([from, title], i) => {
    const to = PHASES[i + 1]?.[0] ?? WORKFLOW_STEPS.length;
    return html`<h2 class="phase">${i + 1}. ${title}</h2>
<ol class="steps" start="${from + 1}">${WORKFLOW_STEPS.slice(from, to).map(step)}</ol>`;
  });

/** GET /how-it-works: the lesson's "Login Session Cookie Workflow", drawn and listed. */
export function howItWorksRoutes(): Router {
  const router = Router();
  router
    .route('/how-it-works')
    .get((req, res) =>
      reply(req, res, 200, {
        json: {
          diagram: '/workflow.svg',
          steps: WORKFLOW_STEPS.map(([what, route, file, answer]) => ({
            what,
            route,
            file,
            store: answer ?? null,
          })),
        },
        html: () =>
          page(
            'How a login session works',
            html`<figure class="diagram"><div class="diagram-scroll" tabindex="0" role="region" aria-labelledby="diagram-caption">
<img src="/workflow.svg" width="960" height="952"
  alt="Browser, server and session store as three lanes, with the numbered steps listed below"></div>
<figcaption id="diagram-caption">The login session cookie workflow: browser, server and session store, in three phases.</figcaption></figure>
${phases()}
<p><a href="/increment">Try the counter</a> · <a href="/login">Log in</a> · <a href="/store">See the store</a> · <a href="/">Home</a></p>`,
          ),
      }),
    )
    .all(allow('GET', 'HEAD'));
  return router;
}
