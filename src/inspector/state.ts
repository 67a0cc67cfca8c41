import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { prefersHtml } from '../http/negotiate';

/** What the inspector needs later in the request: the config, the clock and the session as it arrived. */
export interface InspectorState {
  config: Config;
  clock: () => number;
  /** req.sessionID when the routes began: the cookie's ID if the store had it, else a fresh one */
  startId: string | undefined;
  /** the session's data (without the cookie) when the routes began, to tell saved from merely loaded */
  startData: string | undefined;
  /** false when startData was not taken: see inspectRequests */
  startNoted: boolean;
}

/** The session's own fields as JSON, without the cookie sub-object. */
export function dataOf(session: Request['session'] | undefined): string | undefined {
  if (!session) return undefined;
  const { cookie: _cookie, ...data } = session;
  return JSON.stringify(data);
}

/**
 * Mounted right after the session middleware: notes the session as it arrived, so a page rendered
 * later can say what this request did to it. Cheap: no signature check and no store call here.
 */
export function inspectRequests(config: Config, clock: () => number): RequestHandler {
  return (req, res, next) => {
    // only pages show the panel after a route may have changed the session; a JSON client sees the
    // inspector only on GET /session, which changes nothing, so its data then is the data it came with
    const startNoted = prefersHtml(req);
    const startData = startNoted ? dataOf(req.session) : undefined;
    const state: InspectorState = { config, clock, startId: req.sessionID, startData, startNoted };
    res.locals.inspector = state;
    next();
  };
}

export function inspectorState(res: Response): InspectorState | undefined {
  return res.locals.inspector as InspectorState | undefined;
}
