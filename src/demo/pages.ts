import type { Config } from '../config';
import { html, page } from '../http/html';
import { clearCode, incrementCode, sessionOptionsCode } from './code';

/** What /clear and a logout did, in words. */
export const CLEARED =
  'The session was destroyed: its entry in the store was deleted, and the cookie was expired (Expires=Thu, 01 Jan 1970), so your browser dropped it. Your next visit starts a new session.';

export const homePage = (loggedOut: boolean) =>
  page(
    'Sessions with express-session',
    html`${loggedOut ? html`<p role="status" id="logged-out">You logged out. ${CLEARED}</p>` : ''}
<p>Each browser gets its own session: the server keeps your count in a session store and your
browser only holds a signed, httpOnly cookie with the session ID.</p>
<p>Open <a href="/increment">/increment</a> in two browsers to see two separate counts, and
<a href="/clear">/clear</a> to destroy one session. <a href="/how-it-works">How it works</a> draws the
whole login workflow; <a href="/session">/session</a> shows what the server knows about you.</p>
<p><a href="/login">Log in</a> · <a href="/signup">Sign up</a> · <a href="/profile">Your profile</a></p>`,
  );

export const counterPage = ({
  count,
  sid,
  config,
  host,
}: {
  count: number;
  sid: string;
  config: Config;
  host: string;
}) =>
  page(
    'Session counter',
    html`<p>You have visited this page <strong id="count">${count}</strong> time${count === 1 ? '' : 's'} in this session.</p>
<p>Session ID starts with <code id="sid">${sid.slice(0, 6)}</code> (compare it with the
<code>${config.session.cookieName}</code> cookie in your browser's devtools, where it shows URL-encoded as <code>s%3A…</code>).</p>
<p id="served-for">This page was served for <code>${host}</code>: cookies for <code>localhost</code> and
<code>127.0.0.1</code> are separate, so each starts its own count.</p>
<p><a href="/increment">Increment again</a> · <a href="/clear">Clear the session</a> · <a href="/store">See the store</a> · <a href="/session">Your session as JSON</a> · <a href="/">Home</a></p>
<h2>The code that just ran</h2>
${incrementCode(count)}
${sessionOptionsCode(config)}`,
  );

export const clearedPage = (cookieName: string) =>
  page(
    'Session cleared',
    html`<p id="cleared">${CLEARED}</p>
<p><a href="/increment">Start a new count</a> · <a href="/store">See the store</a> · <a href="/">Home</a></p>
<h2>The code that just ran</h2>
${clearCode(cookieName)}`,
  );
