import { type Request, type RequestHandler, type Response, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, noStore, prefersHtml, reply, sendJson } from '../http/replies';
import { destroySession } from '../session';
import { type AuthDeps, credentialsForm } from './attempt';
import { current, type LoginDeps, requireLogin } from './current-login';
import { login } from './login';
import { profilePage } from './pages';
import { signup } from './signup';

export type { AuthDeps };

/**
 * Ends the session's login and the session (logout, sign out everywhere, account deletion): the login
 * row first, so a failure after it still leaves the browser signed out; then req.session.destroy();
 * and `Clear-Site-Data: "cache"` so the browser drops what it cached of the signed-in pages.
 */
export async function signOut({ config, users }: LoginDeps, req: Request, res: Response): Promise<void> {
  if (req.session.loginId !== undefined) await users.endLogin(req.session.loginId);
  await destroySession(req, res, config);
  res.set('Clear-Site-Data', config.login.clearSiteCookies ? '"cache", "cookies"' : '"cache"');
  noStore(res);
}

/** POST /logout: ends the session; a browser goes home, which says what happened. */
const logout =
  (deps: AuthDeps): RequestHandler =>
  async (req, res) => {
    await signOut(deps, req, res);
    if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/?logged-out');
    sendJson(res.vary('Accept'), { message: 'Logged out' });
  };

/** GET /profile (behind requireLogin): who is logged in and since when. */
const profile: RequestHandler = (req, res) => {
  const { user, login } = current(res);
  reply(req, res, 200, {
    json: { user: { username: user.username }, loginAt: new Date(login.createdAt).toISOString() },
    html: () =>
      profilePage(user, login, {
        idPrefix: req.sessionID.slice(0, 6), // the one part of an ID the app shows
        previousIdPrefix: req.session.previousIdPrefix,
        count: req.session.count,
      }),
  });
};

/** Signup, login, logout and the profile page: forms and pages for browsers, JSON for JSON clients. */
export function authRoutes(deps: AuthDeps): Router {
  const router = Router();
  const body = bodyParsers(deps.config);
  router
    .route('/signup')
    .get(credentialsForm('signup', deps))
    .post(body, signup(deps))
    .all(allow('GET', 'HEAD', 'POST'));
  router
    .route('/login')
    .get(credentialsForm('login', deps))
    .post(body, login(deps))
    .all(allow('GET', 'HEAD', 'POST'));
  router.route('/logout').post(logout(deps)).all(allow('POST')); // GET never logs out: a link or an image on any page could
  router.route('/profile').get(requireLogin(deps), profile).all(allow('GET', 'HEAD'));
  router.use(bodyErrors);
  return router;
}
