import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { bodyField } from '../http/body';
import { html, page } from '../http/html';
import { noStore, prefersHtml, reply } from '../http/replies';
import { endSession, regenerateSession, requireSession, saveSession } from '../session/middleware';
import { storeKey } from '../stores/key';
import type { SessionStore } from '../stores/types';
import type { User, UserStore } from '../users/types';
import { describeDevice } from './device';
import { endSessionsPastCap } from './user-sessions';

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
  const user = await users.findById(session.userId);
  // a revocation bumped the user's generation: this session was ended, even if the index missed it
  if (user && (session.generation ?? 0) < user.generation) {
    await endRevoked(req, config);
    return undefined;
  }
  return user;
}

/** Destroys a revoked session and clears its cookie; a store failure still leaves it logged out. */
async function endRevoked(req: Request, config: Config): Promise<void> {
  if (!req.res) return;
  await endSession(req, req.res, config, 'Error ending a revoked session').catch((err: unknown) =>
    req.log.warn({ err }, 'could not destroy a revoked session'),
  );
}

/** "Keep me signed in": a checked box (form) or `"remember": true` (JSON). */
export function wantsRemember(body: unknown): boolean {
  const value = bodyField(body, 'remember');
  return value === true || value === '1' || value === 'on' || value === 'true';
}

/** Unchecked, the cookie has no Expires/Max-Age and goes when the browser closes; the store's timeouts still apply. */
export function setCookieKind(req: Request, persistent: boolean): void {
  const session = requireSession(req);
  session.persistent = persistent;
  if (!persistent) session.cookie.expires = null; // also sets originalMaxAge to null, so rolling keeps it so
}

/**
 * Logs a user in on a fresh session ID (so a planted pre-login cookie is worthless), keeps the
 * visitor's count, records what a device list shows, and saves before replying so a success means
 * the store has it. Then ends the user's least recently active sessions past the per-user cap.
 */
export async function startLogin(req: Request, user: User, now: number, config: Config): Promise<void> {
  const count = requireSession(req).count;
  await regenerateSession(req); // rejects if the store could not destroy the old session
  const session = requireSession(req);
  if (count !== undefined) session.count = count;
  session.userId = user.id;
  session.loginAt = now;
  session.authAt = now;
  session.ip = (req.ip ?? '').slice(0, 45);
  session.device = describeDevice(req.get('user-agent'));
  session.generation = user.generation; // a later revocation bumps the user's and ends this one
  setCookieKind(req, wantsRemember(req.body));
  await saveSession(req);
  // the app's own store: createSessionMiddleware accepts only a SessionStore
  const store = req.sessionStore as unknown as SessionStore;
  try {
    await endSessionsPastCap(store, user.id, storeKey(req.sessionID), config.store.maxSessionsPerUser);
  } catch (err) {
    // the login itself is saved; the next login tries the cap again
    req.log.warn({ err }, 'could not end sessions past the per-user cap');
  }
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

/** The user requireLogin found for this request. */
export const loggedInUser = (res: Response) => res.locals.user as User;
