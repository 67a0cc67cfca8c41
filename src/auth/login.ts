import type { Request, RequestHandler } from 'express';
import type { Config } from '../config';
import { noStore, prefersHtml, reply } from '../http';
import { regenerateSession, requireSession, saveSession } from '../session';
import type { User, UserStore } from '../users/types';
import { html, page } from '../views';

export interface LoginDeps {
  config: Config;
  users: UserStore;
  /** ms since epoch; injected so tests can move time */
  clock: () => number;
}

/** The logged-in user; undefined when nobody is, or the login is older than login.maxAgeMs. */
export async function currentUser(
  req: Request,
  { config, users, clock }: LoginDeps,
): Promise<User | undefined> {
  const session = req.session; // absent when the store is down: treat as logged out
  if (session?.userId === undefined || session.loginAt === undefined) return undefined;
  if (clock() - session.loginAt >= config.login.maxAgeMs) return undefined; // absolute lifetime
  return users.findById(session.userId);
}

/**
 * Logs a user in on a fresh session ID (so a planted pre-login cookie is worthless), keeps the
 * visitor's count, and saves before replying so a success means the store has it.
 */
export async function startLogin(req: Request, user: User, now: number): Promise<void> {
  const count = requireSession(req).count;
  await regenerateSession(req); // rejects if the store could not destroy the old session
  const session = requireSession(req);
  session.previousIdPrefix = String(req.res?.locals.replacedSessionId ?? '').slice(0, 6); // for the inspector
  if (count !== undefined) session.count = count;
  session.userId = user.id;
  session.loginAt = now;
  await saveSession(req);
}

/** Lets logged-in users through with res.locals.user set; others get 401, or 303 to /login in a browser. */
export function requireLogin(deps: LoginDeps): RequestHandler {
  return async (req, res, next) => {
    requireSession(req);
    const user = await currentUser(req, deps);
    noStore(res);
    if (user) {
      res.locals.user = user;
      return next();
    }
    if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/login');
    reply(req, res, 401, {
      json: { error: 'Login required' },
      html: () => page('Login required', html`<p><a href="/login">Log in</a></p>`),
    });
  };
}
