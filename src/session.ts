import type { Request, Response } from 'express';
import type { Config } from './config';

declare module 'express-session' {
  interface SessionData {
    /** the lesson's counter */
    count: number;
    /** the login this browser is signed in as: a row of the user store, never derived from the ID */
    loginId: string;
    /** the first 6 characters of the session ID the last login replaced, for the panel's before and after */
    previousIdPrefix: string;
    /** shown once by the next page: this browser was signed out elsewhere */
    notice: 'signed-out';
  }
}

const promised = (call: (done: (err?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => call((err) => (err ? reject(err) : resolve())));

/**
 * req.session.save(), awaited: the app saves before it answers, so a 200 means the store has it. The
 * idle expiry moves first (touch): express-session moves it only as the headers go out, after this.
 */
export function saveSession(req: Request): Promise<void> {
  req.session.touch();
  return promised((done) => req.session.save(done));
}

/** req.session.destroy(), awaited, and the cookie expired: the lesson's logout. */
export async function destroySession(req: Request, res: Response, config: Config): Promise<void> {
  await promised((done) => req.session.destroy(done));
  const { cookieName, secure } = config.session; // the attributes express-session set it with:
  res.clearCookie(cookieName, { path: '/', httpOnly: true, secure, sameSite: 'lax' });
}

/** req.session.regenerate(), awaited: a login's new ID, so one planted before it is worthless. */
export async function regenerateSession(req: Request, keep: { count?: number } = {}): Promise<void> {
  const replaced = req.sessionID;
  await promised((done) => req.session.regenerate(done));
  Object.assign(req.session, keep, { previousIdPrefix: replaced.slice(0, 6) });
}
