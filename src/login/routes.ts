import { type RequestHandler, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, noStore, prefersHtml, reply } from '../http/replies';
import { endSession } from '../session/middleware';
import { type AuthDeps, credentialsForm } from './attempt';
import { loggedInUser, requireLogin } from './current-user';
import { login } from './login';
import { profilePage } from './pages';
import { signup } from './signup';

export type { AuthDeps };

/** POST /logout: ends the session; a browser goes home, which says what happened. */
const logout =
  ({ config }: AuthDeps): RequestHandler =>
  async (req, res) => {
    await endSession(req, res, config, 'Error logging out');
    noStore(res);
    if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/?logged-out');
    res.vary('Accept').json({ message: 'Logged out' });
  };

/** GET /profile (behind requireLogin): who is logged in and since when. */
const profile: RequestHandler = (req, res) => {
  const user = loggedInUser(res);
  const loginAt = req.session.loginAt ?? 0;
  reply(req, res, 200, {
    json: { user: { username: user.username }, loginAt: new Date(loginAt).toISOString() },
    html: () =>
      profilePage(user, {
        loginAt,
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
