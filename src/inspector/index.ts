import type { Request, Response } from 'express';
import { inspect } from './inspect';
import { inspectorPanel } from './panel';

export type { Inspection } from './inspect';
export { inspect } from './inspect';
export { inspectRequests } from './state';

/**
 * Adds the inspector panel to a rendered page, at the end of <main>. Pages escape everything they
 * interpolate, so the page's own closing tag is the last one. Pages answered before the session
 * middleware (assets, probes, refused cross-origin posts) have nothing to show and stay as they are.
 */
export function withInspector(req: Request, res: Response, page: string): string {
  const view = inspect(req, res);
  const at = page.lastIndexOf('</main>');
  if (!view || at < 0) return page;
  return `${page.slice(0, at)}${inspectorPanel(view, Date.now()).value}\n${page.slice(at)}`;
}
