import { type Request, type Response, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, noStore, prefersHtml, reply, replyMessage, sendJson } from '../http/replies';
import { current, requireLogin, signedOut } from '../login/current-login';
import { signOut } from '../login/routes';
import { sessionsPage } from './pages';
import { type ReauthDeps, requireRecentAuth } from './reauth';
import { HANDLE_PATTERN, listed } from './session-list';

/** JSON for clients, a 303 for forms. */
export function done(req: Request, res: Response, json: unknown, location: string) {
  noStore(res);
  if (prefersHtml(req)) return res.vary('Accept').redirect(303, location);
  sendJson(res.vary('Accept'), json);
}

/**
 * "Your sessions": the user's logins, and ending one, the others, or all. Each is a row operation
 * that checks the acting login in the same transaction: `undefined` means this browser's own login
 * was ended meanwhile, so it acts on nothing and is signed out.
 */
export function yourSessionsRoutes(deps: ReauthDeps): Router {
  const { config, users, clock } = deps;
  const router = Router();
  const loggedIn = requireLogin(deps);
  const body = bodyParsers(config);
  const recentAuth = (action: (req: Request) => string) => requireRecentAuth(deps, { action });

  router
    .route('/sessions')
    .get(loggedIn, async (req, res) => {
      const { login, user } = current(res);
      const sessions = (await users.listLogins(user.id, clock())).map((l) => listed(l, login.id));
      reply(req, res, 200, { json: { sessions }, html: () => sessionsPage(sessions) });
    })
    .all(allow('GET', 'HEAD'));

  router
    .route('/sessions/revoke-others')
    .post(
      body,
      loggedIn,
      recentAuth(() => '/sessions/revoke-others'),
      async (req, res) => {
        const { login, user } = current(res);
        const revoked = await users.endOtherLogins(login.id, user.id);
        if (revoked === undefined) return signedOut(req, res);
        done(req, res, { revoked }, '/sessions');
      },
    )
    .all(allow('POST'));

  router
    .route('/sessions/revoke-all')
    .post(
      body,
      loggedIn,
      recentAuth(() => '/sessions/revoke-all'),
      async (req, res) => {
        const { login, user } = current(res);
        const others = await users.endOtherLogins(login.id, user.id);
        if (others === undefined) return signedOut(req, res);
        await signOut(deps, req, res); // and this one
        done(req, res, { revoked: others + 1 }, '/');
      },
    )
    .all(allow('POST'));

  const revokeAction = (req: Request) => `/sessions/${encodeURIComponent(String(req.params.id))}/revoke`;
  router
    .route('/sessions/:id/revoke')
    .post(body, loggedIn, recentAuth(revokeAction), async (req, res) => {
      const { login, user } = current(res);
      const id = String(req.params.id);
      if (id === login.id) {
        await signOut(deps, req, res); // ending this one is a logout
        return done(req, res, { revoked: 1 }, '/');
      }
      const ended = HANDLE_PATTERN.test(id) ? await users.endOtherLogin(login.id, user.id, id) : false;
      if (ended === undefined) return signedOut(req, res);
      if (!ended) return replyMessage(req, res, 404, 'Session not found'); // unknown and not yours alike
      done(req, res, { revoked: 1 }, '/sessions');
    })
    .all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
