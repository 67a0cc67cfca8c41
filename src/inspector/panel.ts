import { html, type SafeHtml } from '../http/html';
import type { Inspection } from './inspect';
import { ACTION_WORDS, COOKIE_WORDS, fromNow, SECURE_OVER_HTTP } from './words';

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const time = (iso: string, id: string, now: number) =>
  html`<time id="${id}" datetime="${iso}">${new Date(iso).toUTCString()}</time> (${fromNow(iso, now)})`;

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
<dd><pre id="inspector-data">${JSON.stringify(s.data, null, 2)}</pre></dd>`;
}

function userRows(u: NonNullable<Inspection['user']>, now: number): SafeHtml {
  const change = u.idChange;
  return html`<dt>Login</dt>
${
  change
    ? html`<dd class="id-change" id="inspector-id-change">Your session ID changed from <code>${change.from}</code> to <code>${change.to}</code> at sign-in: a planted pre-login ID is now worthless.${
        change.countCarried === undefined ? '' : html` Your count (${change.countCarried}) was carried over.`
      }</dd>`
    : ''
}
<dd>${
    u.username && u.loginAt
      ? html`<strong>${u.username}</strong>, since ${time(u.loginAt, 'inspector-login-at', now)}.`
      : 'The session names a login; pages that need it look it up in the user store.'
  }</dd>`;
}

/** The panel "What the server knows about you": server-rendered, no script. */
export function inspectorPanel(view: Inspection, now: number): SafeHtml {
  const { request, session, user } = view;
  const instance = `${request.instance.address}${request.instance.pid === undefined ? '' : ` · pid ${request.instance.pid}`}`;
  return html`<aside class="inspector" aria-labelledby="inspector-title">
<h2 id="inspector-title">What the server knows about you</h2>
${request.secureOverHttp ? html`<p class="notice" id="inspector-secure">${SECURE_OVER_HTTP}</p>` : ''}
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
<p><small><a href="/session">This panel as JSON</a> · <a href="/how-it-works">How it works</a></small></p>
</aside>`;
}
