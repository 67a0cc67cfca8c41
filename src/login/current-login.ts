import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { noStore, prefersHtml, sendJson } from '../http/replies';
import { destroySession } from '../session';
import type { Login, User, UserStore } from '../users/types';
import type { PasswordHasher } from './password';
import type { AttemptLimiter } from './throttle';

export interface AuthDeps {
  config: Config;
  users: UserStore;
  clock: () => number; // ms since epoch; injected so tests can move time
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
}

/** A per-user answer: a browser is sent on to `location` (303), a JSON client gets `json`. */
export function redirectOrJson(req: Request, res: Response, location: string, json: unknown, status = 200) {
  noStore(res);
  res.vary('Accept');
  if (prefersHtml(req)) return res.redirect(303, location);
  sendJson(res.status(status), json);
}

/** Logged in means: the session's login id names a live login of a live user (one query, with the user). */
export function requireLogin({ users, clock }: AuthDeps): RequestHandler {
  return async (req, res, next) => {
    const { loginId } = req.session;
    const found = loginId === undefined ? undefined : await users.findLogin(loginId, clock());
    if (!found) return loginId === undefined ? loginRequired(req, res) : signedOut(req, res);
    noStore(res);
    res.locals.login = found.login; // the inspector's panel reads these too
    res.locals.user = found.user;
    next();
  };
}

const loginRequired = (req: Request, res: Response) =>
  redirectOrJson(req, res, '/login', { error: 'Login required' }, 401);

/** What requireLogin found for this request. */
export const current = (res: Response) => res.locals as { login: Login; user: User };

/** This browser's login ended elsewhere: the session forgets it, keeps its count, and the next form says so. */
export function signedOut(req: Request, res: Response): void {
  delete req.session.loginId;
  req.session.notice = 'signed-out';
  loginRequired(req, res);
}

export function takeNotice(req: Request): string | undefined {
  if (req.session.notice !== 'signed-out') return undefined;
  delete req.session.notice;
  return 'This browser was signed out: its login expired, or was ended on another device, by a password change or by deleting the account.';
}

/**
 * Ends this login and its session, then answers. The row goes first, so a failure after it still leaves
 * the browser signed out; Clear-Site-Data makes the browser drop what it cached of the signed-in pages.
 */
export async function signOut(deps: AuthDeps, req: Request, res: Response, json: unknown, location = '/') {
  if (req.session.loginId !== undefined) await deps.users.endLogin(req.session.loginId);
  await destroySession(req, res, deps.config);
  res.set('Clear-Site-Data', deps.config.login.clearSiteCookies ? '"cache", "cookies"' : '"cache"');
  redirectOrJson(req, res, location, json);
}
