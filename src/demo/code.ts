import type { Config } from '../config';
import { html, type SafeHtml } from '../http/html';
import { describeStore } from '../stores/describe';

const block = (file: string, code: SafeHtml) =>
  html`<figure class="code"><figcaption><code>${file}</code></figcaption><pre><code>${code}</code></pre></figure>`;

/** The session options this server runs with, in the lesson's shape; the secret by where it comes from. */
export const sessionOptionsCode = (config: Config) =>
  block(
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
  );

/** What GET /increment just ran. */
export const incrementCode = (count: number) =>
  block(
    'src/demo/routes.ts',
    html`req.session.count = (req.session.count ?? 0) + 1; // now ${count}
await saveSession(req); // req.session.save(): the store has it before the answer`,
  );

/** What GET /clear just ran. */
export const clearCode = (cookieName: string) =>
  block(
    'src/demo/routes.ts',
    html`req.session.destroy(callback); // deletes the store entry
res.clearCookie('${cookieName}'); // Set-Cookie: ${cookieName}=; Expires=Thu, 01 Jan 1970`,
  );
