import { isIP } from 'node:net';
import { Router } from 'express';
import type { Config } from '../config';
import { withDeadline } from '../deadline';
import { allow, noStore, reply } from '../http/replies';
import { describeStore } from '../stores/describe';
import type { HashedKeyStore } from '../stores/hashed-keys';
import { storeKey } from '../stores/key';
import type { UserStore } from '../users/types';
import { type StoreRow, storePage } from './store-page';

const LIMIT = 50;

// the socket's own address: req.ip can be set by a header when TRUST_PROXY is on
export const isLoopback = (address = '') =>
  isIP(address) !== 0 && (address === '::1' || /^(::ffff:)?127\./.test(address));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * GET /store: the sessions in the store, most recently active first, at most 50, and how many in all.
 * For the lesson only: off in production (STORE_PAGE) and to anyone not on this machine, a 404.
 */
export function storeRoutes(deps: { config: Config; store: HashedKeyStore; users: UserStore }): Router {
  const { config, store, users } = deps;
  const router = Router();
  router
    .route('/store')
    .get(async (req, res, next) => {
      if (!config.storePage || !isLoopback(req.socket.remoteAddress)) return next('router'); // past this router's 405: to the 404 handler
      const { sessions, total, approximate } = await withDeadline(
        store.backend.recent(LIMIT),
        config.store.timeoutMs,
        'store listing',
      );
      const names = await users.usernamesOf(
        sessions.flatMap((s) => (s.data.loginId ? [s.data.loginId] : [])),
      );
      const mine = storeKey(req.sessionID);
      const rows: StoreRow[] = sessions.map((s) => ({
        key: s.key.slice(0, 6),
        current: s.key === mine,
        count: s.data.count ?? null,
        user: (s.data.loginId && names.get(s.data.loginId)) || null,
        // rolling cookies: every visit moves the expiry to now + the idle lifetime
        lastActiveAt: iso(s.expiresAt === null ? null : s.expiresAt - config.session.maxAgeMs),
        expiresAt: iso(s.expiresAt),
      }));
      const view = { store: describeStore(config), total, approximate, sessions: rows };
      noStore(res);
      reply(req, res, 200, { json: view, html: () => storePage(view) });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}
