import { readFileSync } from 'node:fs';
import { type Request, type Response, Router } from 'express';
import { allow } from '../http/replies';

// one small stylesheet: the CSP allows style-src 'self', so it comes from here, never inline
const STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1c1d21; --bg: #fbfbfa; --muted: #5d6168; --link: #0b57d0;
  --line: #c5c8cd; --soft: #eff1f3; --error: #b3261e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e4e5e8; --bg: #17181b; --muted: #a2a6ad; --link: #8ab4f8;
    --line: #474b52; --soft: #25272b; --error: #f2b8b5;
  }
}
*, ::before, ::after { box-sizing: border-box; }
body {
  margin: 0; padding: 2rem 1rem; color: var(--fg); background: var(--bg);
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 40rem; margin: 0 auto; }
main:has(> .diagram) { max-width: 62rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 1.5rem; }
p { margin: 0 0 1rem; }
a { color: var(--link); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 2px solid var(--link); outline-offset: 2px; }
code {
  font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--soft); padding: 0.1em 0.35em; border-radius: 4px;
}
small { color: var(--muted); }
#count {
  display: block; margin: 0.25rem 0; font-size: 4rem; line-height: 1.1;
  font-variant-numeric: tabular-nums;
}
form { margin: 0 0 1rem; }
label { display: block; font-weight: 600; }
input {
  display: block; width: 100%; max-width: 22rem; margin-top: 0.25rem; padding: 0.5rem 0.6rem;
  font: inherit; font-weight: 400; color: inherit; background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px;
}
button {
  font: inherit; font-weight: 600; padding: 0.5rem 1.1rem; cursor: pointer;
  color: var(--bg); background: var(--link); border: 0; border-radius: 6px;
}
button:hover { filter: brightness(1.1); }
button.danger { background: var(--error); }
table { width: 100%; margin: 0 0 1.25rem; border-collapse: collapse; font-size: 0.95rem; }
th, td { padding: 0.5rem 0.5rem 0.5rem 0; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
th { font-size: 0.85rem; color: var(--muted); }
td form { margin: 0; }
td button { padding: 0.3rem 0.8rem; font-size: 0.9rem; white-space: nowrap; }
form.inline { display: inline-block; margin-right: 0.5rem; }
.error { display: block; color: var(--error); font-size: 0.95em; }
[role="alert"] { padding: 0.6rem 0.8rem; border-left: 4px solid var(--error); background: var(--soft); }
[role="status"] { padding: 0.6rem 0.8rem; border-left: 4px solid var(--link); background: var(--soft); }
h2 { font-size: 1.2rem; line-height: 1.3; margin: 0 0 0.75rem; }
main > h2 { margin-top: 2rem; }
pre {
  margin: 0.25rem 0 0; padding: 0.6rem 0.75rem; overflow-x: auto; background: var(--soft);
  border-radius: 6px; font: 0.85rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
pre, code { overflow-wrap: anywhere; }
.inspector {
  margin: 2.5rem 0 0; padding: 1rem 1.25rem; border: 1px solid var(--line); border-radius: 10px;
  font-size: 0.95rem;
}
.inspector dl { margin: 0 0 0.75rem; }
.inspector dt {
  margin: 0.9rem 0 0.2rem; font-size: 0.8rem; font-weight: 700; letter-spacing: 0.04em;
  text-transform: uppercase; color: var(--muted);
}
.inspector dt:first-child { margin-top: 0; }
.inspector dd { margin: 0 0 0.3rem; }
.inspector p { margin: 0; }
.inspector .id-change { margin: 0.2rem 0 0.5rem; padding: 0.5rem 0.75rem; border-left: 4px solid var(--link); background: var(--soft); }
.inspector .notice { margin: 0 0 0.9rem; padding: 0.6rem 0.8rem; border-left: 4px solid var(--error); background: var(--soft); }
.diagram { margin: 0 0 1.5rem; }
.diagram img { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 10px; }
figcaption { margin-top: 0.4rem; color: var(--muted); font-size: 0.9rem; }
.steps li { margin-bottom: 0.35rem; }
`;

// a session cookie, as the tab's icon; the CSP allows img-src 'self'
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<circle cx="8" cy="8" r="7" fill="#c98a3c"/><circle cx="5" cy="6" r="1.2" fill="#5a3714"/>
<circle cx="10" cy="5" r="1" fill="#5a3714"/><circle cx="9" cy="10.5" r="1.3" fill="#5a3714"/>
<circle cx="5" cy="10" r="0.9" fill="#5a3714"/></svg>
`;

/** The same for everyone, so browsers may keep them a day; no session is ever loaded for them. */
function constant(type: string, body: string) {
  return (_req: Request, res: Response) => {
    res.set({ 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' });
    res.send(body);
  };
}

// the login workflow diagram, shipped next to the code; read when the app is built, not at import
const readAsset = (name: string) => readFileSync(new URL(`../assets/${name}`, import.meta.url), 'utf8');

/** The stylesheet and icon every page links, and the workflow diagram. Mounted before sessions: fetching them never loads or creates one. */
export function assetRoutes(): Router {
  const router = Router();
  const workflow = readAsset('workflow.svg');
  router.route('/workflow.svg').get(constant('image/svg+xml', workflow)).all(allow('GET', 'HEAD'));
  router.route('/favicon.svg').get(constant('image/svg+xml', FAVICON)).all(allow('GET', 'HEAD'));
  router.route('/style.css').get(constant('text/css; charset=utf-8', STYLESHEET)).all(allow('GET', 'HEAD'));
  return router;
}
