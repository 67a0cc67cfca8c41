import { isIP } from 'node:net';
import { type Request, Router } from 'express';
import type { Config } from '../config';
import { withDeadline } from '../deadline';
import { allow, noStore, prefersHtml, reply } from '../http/replies';
import { describeStore } from '../stores/describe';
import type { HashedKeyStore } from '../stores/hashed-keys';
import { storeKey } from '../stores/key';
import type { UserStore } from '../users/types';
import { type Arrival, dataOf, inspect } from './inspect';
import { howItWorksPage, sessionPage, storePage, WORKFLOW_STEPS } from './pages';
import { inspectorPanel } from './panel';

type Deps = { config: Config; store: HashedKeyStore; users: UserStore };

// the socket's own address: req.ip can be set by a header when TRUST_PROXY is on
export const isLoopback = (address = '') =>
  isIP(address) !== 0 && (address === '::1' || /^(::ffff:)?127\./.test(address));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The 50 most recently active sessions, never a whole key, and how many in all. */
async function storeView(req: Request, { config, store, users }: Deps) {
  const { sessions, total, approximate } = await withDeadline(
    store.backend.recent(50),
    config.store.timeoutMs,
    'store listing',
  );
  const names = await users.usernamesOf(sessions.flatMap((s) => (s.data.loginId ? [s.data.loginId] : [])));
  const mine = storeKey(req.sessionID);
  const rows = sessions.map((s) => ({
    key: s.key.slice(0, 6),
    current: s.key === mine,
    count: s.data.count ?? null,
    user: (s.data.loginId && names.get(s.data.loginId)) || null,
    // rolling cookies: every visit moves the expiry to now + the idle lifetime
    lastActiveAt: iso(s.expiresAt === null ? null : s.expiresAt - config.session.maxAgeMs),
    expiresAt: iso(s.expiresAt),
  }));
  return { store: describeStore(config), total, approximate, sessions: rows };
}

export type StoreView = Awaited<ReturnType<typeof storeView>>;

/**
 * Mounted right after the session middleware: notes the session as it arrived (no signature check, no
 * store call), so every page can end with the panel saying what this request did to it; and the pages
 * that explain, GET /session, /how-it-works and /store (this machine only, STORE_PAGE; else a 404).
 */
export function inspectorRoutes(deps: Deps): Router {
  const { config } = deps;
  const router = Router();

  router.use((req, res, next) => {
    // only pages pay for noting the data: JSON sees the inspector only on GET /session, which changes nothing
    const data = prefersHtml(req) ? dataOf(req.session) : undefined;
    res.locals.inspector = { id: req.sessionID, data } satisfies Arrival;
    res.locals.decoratePage = (page: string) => {
      const at = page.lastIndexOf('</main>'); // pages escape what they interpolate: their own tag is last
      if (at < 0) return page;
      const open = req.path === '/increment' || req.path === '/session';
      const panel = inspectorPanel(inspect(req, res, config), Date.now(), open);
      return `${page.slice(0, at)}${panel.value}\n${page.slice(at)}`;
    };
    next();
  });

  router.get('/session', (req, res) => {
    const view = inspect(req, res, config); // reads only: never creates, saves or changes a session
    noStore(res);
    reply(req, res, 200, { json: view, html: sessionPage });
  });

  router.get('/how-it-works', (req, res) => {
    const steps = WORKFLOW_STEPS.map(([what, route, file, store]) => ({ what, route, file, store }));
    reply(req, res, 200, { json: { diagram: '/workflow.svg', steps }, html: howItWorksPage });
  });

  router.get('/store', async (req, res, next) => {
    if (!config.storePage || !isLoopback(req.socket.remoteAddress)) return next('router'); // past the 405s: to the 404
    const view = await storeView(req, deps);
    noStore(res);
    reply(req, res, 200, { json: view, html: () => storePage(view) });
  });

  router.all(['/session', '/how-it-works', '/store'], allow('GET', 'HEAD'));
  return router;
}
