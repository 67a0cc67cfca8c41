import { readFileSync } from 'node:fs';
import { type Request, type Response, Router } from 'express';
import { allow } from '../http/replies';

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
  const stylesheet = readAsset('style.css'); // the CSP allows style-src 'self': never inline
  router.route('/workflow.svg').get(constant('image/svg+xml', workflow)).all(allow('GET', 'HEAD'));
  router.route('/favicon.svg').get(constant('image/svg+xml', FAVICON)).all(allow('GET', 'HEAD'));
  router.route('/style.css').get(constant('text/css; charset=utf-8', stylesheet)).all(allow('GET', 'HEAD'));
  return router;
}
