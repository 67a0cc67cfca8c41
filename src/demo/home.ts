import { Router } from 'express';
import { html, page } from '../http/html';
import { allow, noStore, reply } from '../http/replies';
import { currentUser, type LoginDeps } from '../login/current-user';
import { logoutButton } from '../login/pages';
import { CLEARED } from './routes';

/** The front page: what the demo shows and where to click. */
export function homeRoutes(deps: LoginDeps): Router {
  const router = Router();
  router
    .route('/')
    .get(async (req, res) => {
      const user = await currentUser(req, deps); // reads the session, never creates one
      noStore(res); // the page differs per visitor now
      res.locals.user = user; // the inspector panel names the user this route already loaded
      const loggedOut = req.query['logged-out'] !== undefined; // where logout lands, once
      reply(req, res, 200, {
        json: {
          links: ['/increment', '/clear', '/session', '/how-it-works'],
          user: user ? { username: user.username } : null,
        },
        html: () =>
          page(
            'Sessions with express-session',
            html`${loggedOut ? html`<p role="status" id="logged-out">You logged out. ${CLEARED}</p>` : ''}
<p>Each browser gets its own session: the server keeps your count in a session store and your
browser only holds a signed, httpOnly cookie with the session ID.</p>
<p>Open <a href="/increment">/increment</a> in two browsers to see two separate counts, and
<a href="/clear">/clear</a> to destroy one session. <a href="/how-it-works">How it works</a> draws the
whole login workflow; <a href="/session">/session</a> shows what the server knows about you.</p>
${
  user
    ? html`<p>Logged in as <strong id="username">${user.username}</strong> · <a href="/profile">Profile</a></p>
${logoutButton}`
    : html`<p>Not logged in · <a href="/login">Log in</a> · <a href="/signup">Sign up</a></p>`
}`,
          ),
      });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}
