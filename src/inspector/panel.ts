import { html, type SafeHtml } from '../http/html';
import type { Inspection } from './inspect';

// what the request's cookie turned out to be, in words
const COOKIE_WORDS = {
  none: 'Your browser sent no session cookie.',
  ok: 'Your browser sent a valid cookie, and the session was loaded from the store.',
  'bad-signature':
    'The cookie signature did not verify: it was signed with a secret this server does not know (or altered), so the server ignored it.',
  'unknown-session':
    'The cookie was genuine, but there is no such session in the store: it expired, was cleared, or the store lost it.',
};

// what the request did to the session, in words
const ACTION_WORDS = {
  none: 'No session yet: with saveUninitialized: false a session is stored only once something is put in it.',
  created: 'A new session was created and saved in the store.',
  loaded: 'The session was loaded; nothing in it changed.',
  saved: 'The session changed and was saved in the store.',
  regenerated: 'The session moved to a new ID.',
  destroyed: 'The session was destroyed: its store entry was deleted.',
  unavailable: 'The session store is unavailable, so no session was loaded.',
};

export type CookieOutcome = keyof typeof COOKIE_WORDS;
export type SessionAction = keyof typeof ACTION_WORDS;

// what each stored field is, in the lesson's words
const FIELDS: Record<string, string> = {
  count: 'the counter: req.session.count',
  loginId: 'the login this browser is signed in as: a row of the logins table in the user store',
  previousIdPrefix: 'the first 6 characters of the session ID the last sign-in replaced',
  notice: 'a message the next page shows once',
};

const span = (minutes: number) => {
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60), minutes % 60];
  if (d >= 2) return `${d} d ${h % 24} h`; // hours up to two days: "in 23 h 59 min" reads better than "0 d"
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
};

// "in 23 h 59 min" or "4 min ago"
function fromNow(iso: string, now: number): string {
  const minutes = Math.floor((new Date(iso).getTime() - now) / 60_000);
  if (minutes >= 0) return `in ${span(minutes)}`;
  return minutes === -1 ? 'just now' : `${span(-minutes - 1)} ago`;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const time = (iso: string, id: string, now: number) =>
  html`<time id="${id}" datetime="${iso}">${new Date(iso).toUTCString().replace('GMT', 'UTC')}</time> (${fromNow(iso, now)})`;

function setCookieLine({ request, session }: Inspection): SafeHtml {
  if (request.cookieExpired)
    return html`This response sends an expired cookie (<code>Expires=Thu, 01 Jan 1970</code>), so your browser deletes it.`;
  if (request.setCookie)
    return html`This response sends <code>Set-Cookie: ${session?.cookie.name}=s:…</code> ${
      session?.cookie.expires ? 'with a new expiry' : 'again, with no expiry (a browser-session cookie)'
    }.`;
  return html`This response sends no <code>Set-Cookie</code>.`;
}

function sessionRows(s: NonNullable<Inspection['session']>, now: number): SafeHtml {
  const c = s.cookie;
  return html`<dt>Session</dt>
<dd>ID starts with <code id="inspector-id">${s.idPrefix}</code>; the store keys it by <code id="inspector-key">${s.storeKeyPrefix}</code>…,
the SHA-256 of the ID: the store holds only this hash, never the ID.</dd>
<dd>Store: <code id="inspector-store">${s.store}</code></dd>
<dt>Cookie</dt>
<dd><code>${c.name}</code> · ${c.httpOnly ? 'HttpOnly' : 'readable by scripts'} · SameSite=${capitalize(c.sameSite)} · ${c.secure ? 'Secure' : 'not Secure'} · Path=${c.path}</dd>
<dd>${c.expires ? html`Expires ${time(c.expires, 'inspector-expires', now)}; each visit moves it (<code>rolling: true</code>).` : 'Ends when the browser closes.'}</dd>
<dt>Stored data</dt>
<dd><pre id="inspector-data">${JSON.stringify(s.data, null, 2)}</pre></dd>
<dd>${fieldNotes(s.data, now)}</dd>`;
}

function fieldNotes(data: Record<string, unknown>, now: number): SafeHtml {
  const cookie = (data.cookie ?? {}) as { expires?: string | null; originalMaxAge?: number | null };
  const notes = [
    html`<dt><code>cookie</code></dt><dd>the cookie's settings, kept so the store can expire the session with it${
      cookie.expires
        ? html`; <code>expires</code> is ${time(cookie.expires, 'inspector-data-expires', now)}`
        : ''
    }${typeof cookie.originalMaxAge === 'number' ? html`; <code>originalMaxAge</code> is ${Math.round(cookie.originalMaxAge / 60_000)} minutes` : ''}</dd>`,
    ...Object.keys(FIELDS)
      .filter((key) => key in data)
      .map((key) => html`<dt><code>${key}</code></dt><dd>${FIELDS[key]}</dd>`),
  ];
  return html`<dl class="fields">${notes}</dl>`;
}

function userRows(u: NonNullable<Inspection['user']>, now: number): SafeHtml {
  return html`<dt>Login</dt>
<dd>${
    u.username && u.loginAt
      ? html`<strong>${u.username}</strong>, since ${time(u.loginAt, 'inspector-login-at', now)}.`
      : 'The session names a login; pages that need it look it up in the user store.'
  }</dd>`;
}

/**
 * The panel "What the server knows about you": server-rendered, no script. Open on the lesson's pages
 * (/increment, /session), folded elsewhere so a signed-in page stays short.
 */
export function inspectorPanel(view: Inspection, now: number, open: boolean): SafeHtml {
  const { request, session, user } = view;
  const { pid, port } = request.instance;
  const instance = `${pid === undefined ? 'This server' : `Server process ${pid}`}, listening on port ${port}`;
  return html`<aside class="inspector" aria-labelledby="inspector-title">
<details${open ? html` open` : ''}><summary><h2 id="inspector-title">What the server knows about you</h2></summary>
${request.secureOverHttp ? html`<p class="notice" id="inspector-secure">This server only sends its cookie over HTTPS; over plain HTTP every visit is a new session.</p>` : ''}
<dl>
<dt>This request</dt>
<dd id="inspector-cookie" data-outcome="${view.cookie}">${COOKIE_WORDS[view.cookie]}</dd>
<dd id="inspector-action" data-result="${request.action}">${ACTION_WORDS[request.action]}</dd>
<dd id="inspector-set-cookie">${setCookieLine(view)}</dd>
${session ? sessionRows(session, now) : ''}
${user ? userRows(user, now) : ''}
<dt>Answered by</dt>
<dd id="inspector-instance">${instance}</dd>
</dl>
<p><small><a href="/session">This panel as JSON</a> · <a href="/store">The whole store</a> · <a href="/how-it-works">How it works</a></small></p>
</details>
</aside>`;
}
