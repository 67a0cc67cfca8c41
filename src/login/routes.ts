import { type RequestHandler, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, reply } from '../http/replies';
import { login, signup } from './attempt';
import { type AuthDeps, current, requireLogin, signOut, takeNotice } from './current-login';
import { credentialsPage, profilePage } from './pages';

/** Signup, login, logout and the profile page: forms and pages for browsers, JSON for JSON clients. */
export function authRoutes(deps: AuthDeps): Router {
  const router = Router();
  const body = bodyParsers(deps.config);
  const formMethods = allow('GET', 'HEAD', 'POST');
  // the form, or the fields a JSON client sends
  const form =
    (purpose: 'signup' | 'login'): RequestHandler =>
    (req, res) => {
      const notice = takeNotice(req);
      reply(req, res, 200, {
        json: { fields: ['username', 'password'], notice },
        html: () => credentialsPage(purpose, deps.config, { notice }),
      });
    };
  // a browser goes home, which says what happened
  const logout: RequestHandler = (req, res) =>
    signOut(deps, req, res, { message: 'Logged out' }, '/?logged-out');
  const profile: RequestHandler = (req, res) => {
    const { user, login } = current(res);
    const idPrefix = req.sessionID.slice(0, 6); // the one part of an ID the app shows
    reply(req, res, 200, {
      json: { user: { username: user.username }, loginAt: new Date(login.createdAt).toISOString() },
      html: () => profilePage(user, login, idPrefix, req.session),
    });
  };

  router.route('/signup').get(form('signup')).post(body, signup(deps)).all(formMethods);
  router.route('/login').get(form('login')).post(body, login(deps)).all(formMethods);
  router.route('/logout').post(logout).all(allow('POST')); // GET never logs out: a link or an image could
  router.route('/profile').get(requireLogin(deps), profile).all(allow('GET', 'HEAD'));
  router.use(bodyErrors);
  return router;
}
