import type { Request, Response } from 'express';
import type { Config } from '../config';

/** What the inspector needs later in the request: the config and the session as it arrived. */
export interface InspectorState {
  config: Config;
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

export function inspectorState(res: Response): InspectorState | undefined {
  return res.locals.inspector as InspectorState | undefined;
}
