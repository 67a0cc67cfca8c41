import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { noStore, prefersHtml, reply, sendJson } from '../http/replies';
import type { User } from '../users/types';
import { clientIp, setRetryAfter } from './client-key';
import { type FieldErrors, readCredentials } from './credentials';
import type { LoginDeps } from './current-login';
import { loginPage, signupPage } from './pages';
import type { PasswordHasher } from './password';
import type { AttemptLimiter } from './throttle';

export interface AuthDeps extends LoginDeps {
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
}

export type Purpose = 'signup' | 'login';

/** A signup or login whose fields passed the rules and that the limiter let through. */
export interface Attempt {
  username: string;
  password: string;
  ip: string;
}

const THROTTLED: Record<Purpose, string> = {
  signup: 'Too many signups from this address; try again later',
  login: 'Too many login attempts; try again later',
};

/** The one-time notice a signed-out browser carries, shown by the next form and then forgotten. */
function takeNotice(req: Request): string | undefined {
  if (req.session.notice !== 'signed-out') return undefined;
  delete req.session.notice;
  return 'This browser was signed out: its login expired, or was ended on another device, by a password change or by deleting the account.';
}

/** GET /signup and /login: the form, or the fields a JSON client sends. */
export const credentialsForm =
  (purpose: Purpose, { config }: AuthDeps): RequestHandler =>
  (req, res) => {
    const notice = takeNotice(req);
    reply(req, res, 200, {
      json: { fields: ['username', 'password'], ...(notice ? { notice } : {}) },
      html: () => (purpose === 'signup' ? signupPage : loginPage)(config, { notice }),
    });
  };

/** The signup or login form again with what went wrong, or a JSON error. */
export function formError(
  config: Config,
  req: Request,
  res: Response,
  purpose: Purpose,
  status: number,
  state: { username: string; errors?: FieldErrors; message?: string },
) {
  reply(req, res, status, {
    json: state.errors ? { error: 'Invalid input', fields: state.errors } : { error: state.message },
    html: () => (purpose === 'signup' ? signupPage : loginPage)(config, state),
  });
}

/** Logged in: a browser goes to its profile, a JSON client gets the user. */
export function replyLoggedIn(req: Request, res: Response, user: User, status: number) {
  noStore(res);
  if (prefersHtml(req)) return res.vary('Accept').redirect(303, '/profile');
  sendJson(res.vary('Accept').status(status), { user: { username: user.username } });
}

/**
 * Reads the credentials and counts the attempt, before any name is looked up (that bounds hashes,
 * new rows and probing names by 409). Bad fields get a 400 and too many attempts a 429; then it
 * has replied and returns undefined.
 */
export async function readAndThrottle(
  { config, limiter }: AuthDeps,
  purpose: Purpose,
  req: Request,
  res: Response,
): Promise<Attempt | undefined> {
  const input = readCredentials(req.body, config.login, purpose);
  if (!input.ok) return void formError(config, req, res, purpose, 400, input);
  const { username, password } = input.value;
  const ip = clientIp(req);
  const verdict = purpose === 'signup' ? await limiter.signup(ip) : await limiter.attempt(username, ip);
  if (verdict.allowed) return { username, password, ip };
  setRetryAfter(res, verdict.retryAfterMs);
  formError(config, req, res, purpose, 429, { username, message: THROTTLED[purpose] });
}

/** A POST handler that runs `handle` only for an attempt readAndThrottle let through. */
export function attemptHandler(
  deps: AuthDeps,
  purpose: Purpose,
  handle: (req: Request, res: Response, attempt: Attempt) => Promise<void>,
): RequestHandler {
  return async (req, res) => {
    const attempt = await readAndThrottle(deps, purpose, req, res);
    if (attempt) await handle(req, res, attempt);
  };
}
