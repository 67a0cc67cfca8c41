import type { RequestHandler, Router } from 'express';

interface Layer {
  route?: unknown;
  handle: { length: number };
  match(path: string): boolean;
}

/**
 * Enters a feature router only for a path one of its routes matches. When none of its layers match,
 * Express 5's router hands the request on with setImmediate, so each router that /increment passed
 * cost it a turn of the event loop; this passes it on at once. A router's error handlers (four
 * arguments) only see its own routes' errors, so they do not count; a router with any other
 * middleware of its own is always entered.
 */
export function onlyItsRoutes(router: Router): RequestHandler {
  const layers = router.stack as unknown as Layer[];
  const entered = (path: string) =>
    layers.some((layer) => (layer.handle.length === 4 ? false : !layer.route || layer.match(path)));
  return (req, res, next) => (entered(req.path) ? router(req, res, next) : next());
}
