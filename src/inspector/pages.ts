import { html, page } from '../http/html';
import type { StoreView } from './routes';

export const sessionPage = () =>
  page(
    'Your session',
    html`<p>Everything below is what this server knows about your browser's session. Visiting this page
changes nothing in it; <a href="/increment">/increment</a> does. Scripts can ask for the same as JSON:</p>
<p><code>curl -b cookies.txt -c cookies.txt http://localhost:3000/session</code></p>
<p><a href="/increment">Session counter</a> · <a href="/how-it-works">How it works</a> · <a href="/">Home</a></p>`,
  );

/**
 * The lesson's login workflow, step by step, in three phases: the same steps the diagram numbers.
 * Each: what happens, the route or call, the file, and what the session store answered (null: not asked).
 */
export const WORKFLOW_STEPS = [
  ['First visit: the browser sends no cookie', 'GET /increment', 'src/demo/routes.ts', null],
  [
    'The store saves the new session under the SHA-256 of its ID',
    'store.set',
    'src/stores/hashed-keys.ts',
    'OK',
  ],
  ['Session created: Set-Cookie: sid=s:<id>.<sig>; HttpOnly', 'express-session', 'src/app.ts', null],
  ['The browser sends the cookie back on every request', 'Cookie: sid=s:<id>.<sig>', 'the browser', null],
  [
    'The server checks the signature and looks the ID up in the store',
    'store.get',
    'src/app.ts',
    'the session, {count: 1}',
  ],
  ['The browser posts the credentials', 'POST /login', 'src/login/routes.ts', null],
  ['The password is checked against its scrypt hash', 'hasher.verify', 'src/login/password.ts', null],
  [
    "New session ID (regenerate), the new login row's id stored",
    'startLogin',
    'src/login/start-login.ts',
    'the old entry deleted, the new one saved',
  ],
  ['The browser gets the cookie with the new ID', '303 to /profile', 'src/login/attempt.ts', null],
  [
    'Later requests carry the new cookie; the login row is looked up',
    'GET /profile',
    'src/login/current-login.ts',
    null,
  ],
  ['The browser asks to log out', 'POST /logout', 'src/login/routes.ts', null],
  ['The store entry is deleted', 'req.session.destroy', 'src/session.ts', 'deleted'],
  ['The cookie is expired: Expires=Thu, 01 Jan 1970', 'res.clearCookie', 'src/session.ts', null],
] as const;

// each phase's title, and the index of its first step
const PHASES = { 'The counter': 0, 'Logging in': 5, 'Logging out': 10 };

const step = ([what, route, file, answer]: (typeof WORKFLOW_STEPS)[number]) =>
  html`<li>${what} <small>(<code>${route}</code>, <code>${file}</code>)</small>${
    answer ? html`. <span class="answer">The store answers: ${answer}.</span>` : ''
  }</li>`;

const phases = () =>
  Object.entries(PHASES).map(
    ([title, from], i, all) => html`<h2 class="phase">${i + 1}. ${title}</h2>
<ol class="steps" start="${from + 1}">${WORKFLOW_STEPS.slice(from, all[i + 1]?.[1]).map(step)}</ol>`,
  );

export const howItWorksPage = () =>
  page(
    'How a login session works',
    html`<figure class="diagram"><div class="diagram-scroll" tabindex="0" role="region" aria-labelledby="diagram-caption">
<img src="/workflow.svg" width="960" height="952"
  alt="Browser, server and session store as three lanes, with the numbered steps listed below"></div>
<figcaption id="diagram-caption">The login session cookie workflow: browser, server and session store, in three phases.</figcaption></figure>
${phases()}
<p><a href="/increment">Try the counter</a> · <a href="/login">Log in</a> · <a href="/store">See the store</a> · <a href="/">Home</a></p>`,
  );

// "Thu, 03 Dec 2026" over "10:22:15 UTC": two short lines, so the table stays narrow on a phone
const when = (iso: string | null) => {
  if (!iso) return 'unknown';
  const utc = new Date(iso).toUTCString(); // "Thu, 03 Dec 2026 10:22:15 GMT"
  return html`<time datetime="${iso}">${utc.slice(0, 16)}<br>${utc.slice(17, 25)} UTC</time>`;
};

type StoreRow = StoreView['sessions'][number];

const row = (s: StoreRow) => html`<tr${s.current ? html` class="current" aria-current="true"` : ''}>
<td><code>${s.key}…</code>${s.current ? html`<br><strong>your browser</strong>` : ''}</td>
<td>${s.count ?? '—'}</td><td>${s.user ?? '—'}</td><td>${when(s.lastActiveAt)}</td><td>${when(s.expiresAt)}</td>
</tr>
`;

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
