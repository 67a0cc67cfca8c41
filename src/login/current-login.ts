import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { html, page } from '../http/html';
import { noStore, prefersHtml, reply } from '../http/replies';
import type { Login, User, UserStore } from '../users/types';

export interface LoginDeps {
  config: Config;
  users: UserStore;
  /** ms since epoch; injected so tests can move time */
  clock: () => number;
}

/** The login requireLogin found for this request, and its user. */
export interface Current {
  login: Login;
  user: User;
}

/**
 * This browser's login ended elsewhere (signed out from another device, a password change, the
 * account deleted, or the per-user cap): the session forgets it but keeps the rest (the count), and
 * the next page says so once. Answers 401, or 303 to /login in a browser.
 */
export function signedOut(req: Request, res: Response): void {
  delete req.session.loginId;
  req.session.notice = 'signed-out';
  notLoggedIn(req, res);
}

function notLoggedIn(req: Request, res: Response): void {
  noStore(res);
  if (prefersHtml(req)) return void res.vary('Accept').redirect(303, '/login');
  reply(req, res, 401, {
    json: { error: 'Login required' },
    html: () => page('Login required', html`<p><a href="/login">Log in</a></p>`),
  });
}

/**
 * Logged in means: the session's login id names a live login of a live user, read with its user in
 * one query. Lets those through with res.locals.login and res.locals.user set; others get 401.
 */
export function requireLogin({ users, clock }: LoginDeps): RequestHandler {
  return async (req, res, next) => {
    const { loginId } = req.session;
    const found = loginId === undefined ? undefined : await users.findLogin(loginId, clock());
    if (!found) return loginId === undefined ? notLoggedIn(req, res) : signedOut(req, res);
    noStore(res);
    res.locals.login = found.login;
    res.locals.user = found.user;
    next();
  };
}

/** What requireLogin found for this request. */
export const current = (res: Response): Current => ({
  login: res.locals.login as Login,
  user: res.locals.user as User,
});
