import { isIP } from 'node:net';
import { type Request, Router } from 'express';
import type { Config } from '../config';
import { withDeadline } from '../deadline';
import { html, page } from '../http/html';
import { allow, noStore, reply } from '../http/replies';
import { describeStore } from '../stores/describe';
import type { HashedKeyStore } from '../stores/hashed-keys';
import { storeKey } from '../stores/key';
import type { UserStore } from '../users/types';

interface Deps {
  config: Config;
  store: HashedKeyStore;
  users: UserStore;
}

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

type StoreView = Awaited<ReturnType<typeof storeView>>;

// "Thu, 03 Dec 2026" over "10:22:15 UTC": two short lines, so the table stays narrow on a phone
const when = (iso: string | null) => {
  if (!iso) return 'unknown';
  const utc = new Date(iso).toUTCString(); // "Thu, 03 Dec 2026 10:22:15 GMT"
  return html`<time datetime="${iso}">${utc.slice(0, 16)}<br>${utc.slice(17, 25)} UTC</time>`;
};

const row = (
  s: StoreView['sessions'][number],
) => html`<tr${s.current ? html` class="current" aria-current="true"` : ''}>
<td><code>${s.key}…</code>${s.current ? html`<br><strong>your browser</strong>` : ''}</td>
<td>${s.count ?? '—'}</td><td>${s.user ?? '—'}</td><td>${when(s.lastActiveAt)}</td><td>${when(s.expiresAt)}</td>
</tr>
`;

const storePage = (view: StoreView) =>
  page(
    'The session store',
    html`<p>The server keeps every visitor's session here, as key-value pairs: the key is the SHA-256 of the
session ID (only its first 6 characters are shown), the value is the session's data. Two browsers make two
rows; <a href="/clear">/clear</a> in one deletes its row. Store: <code>${view.store}</code>.</p>
<p id="store-total">${view.approximate ? 'About ' : ''}${view.total} session${view.total === 1 ? '' : 's'} in the store${
      view.total > view.sessions.length ? html`, the ${view.sessions.length} most recently active shown` : ''
    }.${view.approximate ? ' Redis is read with SCAN, at most 1,000 keys, so the list and the total are approximate.' : ''}</p>
<div class="table-scroll" tabindex="0" role="region" aria-labelledby="store-total"><table id="store">
<thead><tr><th>Key</th><th>Count</th><th>User</th><th>Last active</th><th>Expires</th></tr></thead>
<tbody>
${view.sessions.map(row)}</tbody>
</table></div>
<p><a href="/increment">Session counter</a> · <a href="/session">Your session</a> · <a href="/">Home</a></p>`,
  );

/**
 * GET /store: every visitor's session as the server holds it, the lesson's first idea on one page.
 * For the lesson only: off in production (STORE_PAGE) and to anyone not on this machine, a 404.
 */
export function storeRoutes(deps: Deps): Router {
  const router = Router();
  router
    .route('/store')
    .get(async (req, res, next) => {
      if (!deps.config.storePage || !isLoopback(req.socket.remoteAddress)) return next('router'); // past this router's 405: to the 404 handler
      const view = await storeView(req, deps);
      noStore(res);
      reply(req, res, 200, { json: view, html: () => storePage(view) });
    })
    .all(allow('GET', 'HEAD'));
  return router;
}
