import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { allow } from '../http/replies';

// a session cookie, as the tab's icon; the CSP allows img-src 'self'
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<circle cx="8" cy="8" r="7" fill="#c98a3c"/><circle cx="5" cy="6" r="1.2" fill="#5a3714"/>
<circle cx="10" cy="5" r="1" fill="#5a3714"/><circle cx="9" cy="10.5" r="1.3" fill="#5a3714"/>
<circle cx="5" cy="10" r="0.9" fill="#5a3714"/></svg>
`;

/**
 * The stylesheet and icon every page links, and the workflow diagram: the same for everyone, so
 * browsers may keep them a day. Mounted before sessions: fetching them never loads or creates one.
 */
export function assetRoutes(): Router {
  // the files next to this one, read when the app is built, not at import
  const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
  const assets = [
    ['/style.css', 'text/css; charset=utf-8', read('style.css')], // the CSP allows style-src 'self': never inline
    ['/favicon.svg', 'image/svg+xml', FAVICON],
    ['/workflow.svg', 'image/svg+xml', read('workflow.svg')],
  ] as const;
  const router = Router();
  for (const [path, type, body] of assets) {
    const headers = { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' };
    router.get(path, (_req, res) => res.set(headers).send(body)).all(path, allow('GET', 'HEAD'));
  }
  return router;
}
