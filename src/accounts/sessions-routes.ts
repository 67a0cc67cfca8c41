import { type RequestHandler, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, reply, replyMessage } from '../http/replies';
import {
  type AuthDeps,
  current,
  redirectOrJson,
  requireLogin,
  signedOut,
  signOut,
} from '../login/current-login';
import type { Login } from '../users/types';
import { requireRecentAuth } from './account-routes';
import { sessionsPage } from './pages';

/** A login as /sessions shows it. Its id is the revoke route's handle: never a session ID. */
const listed = (login: Login, currentId: string) => ({
  id: login.id,
  current: login.id === currentId,
  createdAt: new Date(login.createdAt).toISOString(),
  lastActiveAt: new Date(login.lastSeenAt).toISOString(),
  device: login.device,
  ip: login.ip,
  persistent: login.persistent,
});
export type ListedSession = ReturnType<typeof listed>;

/**
 * "Your sessions": the user's logins, and ending one, the others, or all. Each checks the acting login
 * in its own transaction: `undefined` means it was ended meanwhile, so nothing was done.
 */
export function yourSessionsRoutes(deps: AuthDeps): Router {
  const { config, users, clock } = deps;
  const router = Router();
  const loggedIn = requireLogin(deps);
  const body = bodyParsers(config);
  const ending = (path: string, handler: RequestHandler) =>
    router.route(path).post(body, loggedIn, requireRecentAuth(deps, path), handler).all(allow('POST'));
  const list: RequestHandler = async (req, res) => {
    const { login, user } = current(res);
    const sessions = (await users.listLogins(user.id, clock())).map((l) => listed(l, login.id));
    reply(req, res, 200, { json: { sessions }, html: () => sessionsPage(sessions) });
  };

  router.route('/sessions').get(loggedIn, list).all(allow('GET', 'HEAD'));

  ending('/sessions/revoke-others', async (req, res) => {
    const { login, user } = current(res);
    const revoked = await users.endOtherLogins(login.id, user.id);
    if (revoked === undefined) return signedOut(req, res);
    redirectOrJson(req, res, '/sessions', { revoked });
  });

  ending('/sessions/revoke-all', async (req, res) => {
    const { login, user } = current(res);
    const others = await users.endOtherLogins(login.id, user.id);
    if (others === undefined) return signedOut(req, res);
    await signOut(deps, req, res, { revoked: others + 1 }); // and this one
  });

  ending('/sessions/:id/revoke', async (req, res) => {
    const { login, user } = current(res);
    const id = String(req.params.id);
    if (id === login.id) return signOut(deps, req, res, { revoked: 1 }); // ending this one is a logout
    // another user's id is as unknown as a made-up one: every query is scoped by the user
    const ended = /^[A-Za-z0-9_-]{22}$/.test(id) ? await users.endOtherLogin(login.id, user.id, id) : false;
    if (ended === undefined) return signedOut(req, res);
    if (!ended) return replyMessage(req, res, 404, 'Session not found');
    redirectOrJson(req, res, '/sessions', { revoked: 1 });
  });

  router.use(bodyErrors);
  return router;
}
