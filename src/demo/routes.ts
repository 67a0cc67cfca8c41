import { Router } from 'express';
import type { Config } from '../config';
import { allow, noStore, reply } from '../http/replies';
import { destroySession, saveSession } from '../session';
import type { UserStore } from '../users/types';
import { clearedPage, counterPage, homePage } from './pages';

/** The lesson's demo: a per-session counter, a way to destroy the session, and the front page. */
export function demoRoutes({ config, users }: { config: Config; users: UserStore }): Router {
  const router = Router();

  router.get('/', (req, res) => {
    noStore(res);
    reply(req, res, 200, {
      json: { links: ['/increment', '/clear', '/session', '/how-it-works', '/login'] },
      html: () => homePage(req.query['logged-out'] !== undefined), // where logout lands
    });
  });

  router.get('/increment', async (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    await saveSession(req); // req.session.save() before replying: a 200 means the store has it
    noStore(res);
    const { count } = req.session;
    reply(req, res, 200, {
      json: { count },
      // the server cannot see a host mismatch: say which host this was
      html: () =>
        counterPage(config, count, req.sessionID, (req.headers.host ?? 'an unknown host').slice(0, 100)),
    });
  });

  router.get('/clear', async (req, res) => {
    const { loginId } = req.session;
    if (loginId !== undefined) await users.endLogin(loginId); // a signed-in session's login ends with it
    await destroySession(req, res, config); // req.session.destroy(), and the cookie expired
    noStore(res);
    reply(req, res, 200, {
      json: { message: 'Session cleared' },
      html: () => clearedPage(config.session.cookieName),
    });
  });

  router.all(['/', '/increment', '/clear'], allow('GET', 'HEAD')); // any other method: 405
  return router;
}
