import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { prefersHtml } from '../http/replies';
import { inspect } from './inspect';
import { inspectorPanel } from './panel';
import { dataOf, type InspectorState } from './state';

const OPEN_ON = new Set(['/increment', '/session']);

/**
 * Adds the inspector panel to a rendered page, at the end of <main>. Pages escape everything they
 * interpolate, so the page's own closing tag is the last one.
 */
function withInspector(req: Request, res: Response, page: string): string {
  const view = inspect(req, res);
  const at = page.lastIndexOf('</main>');
  if (!view || at < 0) return page;
  return `${page.slice(0, at)}${inspectorPanel(view, Date.now(), OPEN_ON.has(req.path)).value}\n${page.slice(at)}`;
}

/**
 * Mounted right after the session middleware: notes the session as it arrived, so a page rendered
 * later can say what this request did to it. Cheap: no signature check and no store call here.
 */
export function inspectRequests(config: Config): RequestHandler {
  return (req, res, next) => {
    // only pages show the panel after a route may have changed the session; a JSON client sees the
    // inspector only on GET /session, which changes nothing, so its data then is the data it came with
    const startNoted = prefersHtml(req);
    const startData = startNoted ? dataOf(req.session) : undefined;
    const state: InspectorState = { config, startId: req.sessionID, startData, startNoted };
    res.locals.inspector = state;
    res.locals.decoratePage = (page: string) => withInspector(req, res, page); // every page shows the panel
    next();
  };
}
