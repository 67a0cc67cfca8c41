import type { Config } from '../config';
import { html, page, type SafeHtml } from '../http/html';
import { describeStore } from '../stores/describe';

const CLEARED =
  'The session was destroyed: its entry in the store was deleted, and the cookie was expired (Expires=Thu, 01 Jan 1970), so your browser dropped it. Your next visit starts a new session.';

// the code that just ran, as the page shows it
const code = (file: string, lines: SafeHtml) =>
  html`<figure class="code"><figcaption><code>${file}</code></figcaption><pre><code>${lines}</code></pre></figure>`;

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

/** The counter, and the session options this server runs with in the lesson's shape (the secret by its source). */
export const counterPage = (config: Config, count: number, sid: string, host: string) =>
  page(
    'Session counter',
    html`<p>You have visited this page <strong id="count">${count}</strong> time${count === 1 ? '' : 's'} in this session.</p>
<p>Session ID starts with <code id="sid">${sid.slice(0, 6)}</code> (compare it with the
<code>${config.session.cookieName}</code> cookie in your browser's devtools, where it shows URL-encoded as <code>s%3A…</code>).</p>
<p id="served-for">This page was served for <code>${host}</code>: cookies for <code>localhost</code> and
<code>127.0.0.1</code> are separate, so each starts its own count.</p>
<p><a href="/increment">Increment again</a> · <a href="/clear">Clear the session</a> · <a href="/store">See the store</a> · <a href="/session">Your session as JSON</a> · <a href="/">Home</a></p>
<h2>The code that just ran</h2>
${code(
  'src/demo/routes.ts',
  html`req.session.count = (req.session.count ?? 0) + 1; // now ${count}
await saveSession(req); // req.session.save(): the store has it before the answer`,
)}
${code(
  'src/app.ts',
  html`app.use(
  session({
    secret: ${config.session.secretSource}, // never shown
    store, // ${describeStore(config)}
    resave: false, // don't save session if unmodified
    saveUninitialized: false, // don't create session until something stored
    rolling: true,
    cookie: { httpOnly: true, secure: ${String(config.session.secure)}, maxAge: ${config.session.maxAgeMs} },
  }),
);`,
)}`,
  );

export const clearedPage = (cookieName: string) =>
  page(
    'Session cleared',
    html`<p id="cleared">${CLEARED}</p>
<p><a href="/increment">Start a new count</a> · <a href="/store">See the store</a> · <a href="/">Home</a></p>
<h2>The code that just ran</h2>
${code(
  'src/demo/routes.ts',
  html`req.session.destroy(callback); // deletes the store entry
res.clearCookie('${cookieName}'); // Set-Cookie: ${cookieName}=; Expires=Thu, 01 Jan 1970`,
)}`,
  );
