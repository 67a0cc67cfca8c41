import { type Request, type Response, Router } from 'express';
import { bodyErrors, bodyParsers } from '../http/body';
import { allow, noStore, prefersHtml, reply, replyMessage } from '../http/replies';
import { loggedInUser, requireLogin } from '../login/current-user';
import { endSession, saveSession } from '../session/middleware';
import type { SessionStore } from '../stores/types';
import { sessionsPage } from './pages';
import { type ReauthDeps, requireRecentAuth } from './reauth';
import { HANDLE_PATTERN, listSessions } from './session-list';

export interface SessionsDeps extends ReauthDeps {
  store: SessionStore;
}

/** JSON for clients, a 303 for forms. */
export function done(req: Request, res: Response, json: unknown, location: string) {
  noStore(res);
  if (prefersHtml(req)) return res.vary('Accept').redirect(303, location);
  res.vary('Accept').json(json);
}

/**
 * "Your sessions": list them and end any, the others, or all. Revoking never waits for the target's
 * lock (it may be this very request's): the store's tombstone drops a write of a revoked session.
 */
export function yourSessionsRoutes(deps: SessionsDeps): Router {
  const { config, users, store } = deps;
  const router = Router();
  const loggedIn = requireLogin(deps);
  const body = bodyParsers(config);

  router
    .route('/sessions')
    .get(loggedIn, async (req, res) => {
      const sessions = (await listSessions(deps, req, loggedInUser(res))).map((s) => s.shown);
      reply(req, res, 200, { json: { sessions }, html: () => sessionsPage(sessions) });
    })
    .all(allow('GET', 'HEAD'));

  router
    .route('/sessions/revoke-others')
    .post(
      body,
      loggedIn,
      requireRecentAuth(deps, { action: () => '/sessions/revoke-others' }),
      async (req, res) => {
        const revoked = await store.destroyByUser(loggedInUser(res).id, { except: req.sessionID });
        // a session the index missed still dies at its next request; this one stays, re-stamped
        req.session.generation = await users.bumpGeneration(loggedInUser(res).id);
        await saveSession(req);
        done(req, res, { revoked }, '/sessions');
      },
    )
    .all(allow('POST'));

  router
    .route('/sessions/revoke-all')
    .post(
      body,
      loggedIn,
      requireRecentAuth(deps, { action: () => '/sessions/revoke-all' }),
      async (req, res) => {
        const revoked = await store.destroyByUser(loggedInUser(res).id); // this one too
        await users.bumpGeneration(loggedInUser(res).id);
        await endSession(req, res, config, 'Error signing out');
        done(req, res, { revoked }, '/');
      },
    )
    .all(allow('POST'));

  const revokeAction = (req: Request) => `/sessions/${encodeURIComponent(String(req.params.id))}/revoke`;
  router
    .route('/sessions/:id/revoke')
    .post(body, loggedIn, requireRecentAuth(deps, { action: revokeAction }), async (req, res) => {
      const id = String(req.params.id);
      const found = HANDLE_PATTERN.test(id)
        ? (await listSessions(deps, req, loggedInUser(res))).find((s) => s.shown.id === id)
        : undefined;
      if (!found) return replyMessage(req, res, 404, 'Session not found'); // unknown and not yours alike
      if (found.shown.current) {
        await endSession(req, res, config, 'Error signing out'); // revoking this one is a logout
        return done(req, res, { revoked: 1 }, '/');
      }
      if (!(await store.destroyByKey(found.key))) return replyMessage(req, res, 404, 'Session not found');
      done(req, res, { revoked: 1 }, '/sessions');
    })
    .all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
