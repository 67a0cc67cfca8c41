import { html, page } from '../http/html';

/** One session of the store as /store shows it: never a whole key. */
export interface StoreRow {
  /** the store key's first 6 characters */
  key: string;
  current: boolean;
  count: number | null;
  user: string | null;
  lastActiveAt: string | null;
  expiresAt: string | null;
}

export interface StoreView {
  store: string;
  total: number;
  approximate: boolean;
  sessions: StoreRow[];
}

// "Thu, 03 Dec 2026" over "10:22:15 UTC": two short lines, so the table stays narrow on a phone
const when = (iso: string | null) => {
  if (!iso) return 'unknown';
  const utc = new Date(iso).toUTCString(); // "Thu, 03 Dec 2026 10:22:15 GMT"
  return html`<time datetime="${iso}">${utc.slice(0, 16)}<br>${utc.slice(17, 25)} UTC</time>`;
};

const row = (s: StoreRow) => html`<tr${s.current ? html` class="current" aria-current="true"` : ''}>
<td><code>${s.key}…</code>${s.current ? html`<br><strong>your browser</strong>` : ''}</td>
<td>${s.count ?? '—'}</td><td>${s.user ?? '—'}</td><td>${when(s.lastActiveAt)}</td><td>${when(s.expiresAt)}</td>
</tr>
`;

/** Every visitor's session as the server holds it: the lesson's first idea, on one page. */
export const storePage = (view: StoreView) =>
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
