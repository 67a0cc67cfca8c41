import type { Request, RequestHandler, Response } from 'express';
import { bodyField } from '../http/body';
import { refuseForm, verifyPassword } from '../login/attempt';
import { type AuthDeps, current, signedOut } from '../login/current-login';
import { confirmPage } from './pages';

/**
 * Checks a password the logged-in user typed, counted by the login throttle exactly as a login is.
 * Refused (401, or 429 with Retry-After), it answers with `form` asking again and gives false.
 */
export async function checkPassword(
  deps: AuthDeps,
  req: Request,
  res: Response,
  password: string,
  form: (state: { message: string }) => string,
  wrong = 'Wrong password',
): Promise<boolean> {
  const { user } = current(res);
  const status = await verifyPassword(deps, req, res, user.username, password, async () => user);
  if (typeof status !== 'number') return true;
  const message = status === 429 ? 'Too many attempts; try again later' : wrong;
  refuseForm(req, res, status, { message }, form);
  return false;
}

/**
 * After requireLogin on the route `path`: lets the request through when the login entered its
 * password within REAUTH_MAX_AGE_SECONDS, or when a correct `password` comes with it (which counts as
 * entering it). Decided before the route looks anything up, so a 403 tells nothing about what was
 * asked for. `always`: a password is required however fresh the login (deleting the account).
 */
export function requireRecentAuth(deps: AuthDeps, path: string, always = false): RequestHandler {
  return async (req, res, next) => {
    const { login } = current(res);
    const password = bodyField(req.body, 'password');
    // the form asking for the password posts back to the route asked for
    const action = path.replace(':id', encodeURIComponent(String(req.params.id)));
    const form = ({ message }: { message: string }) => confirmPage(action, message);
    if (password === undefined || password === '') {
      if (!always && deps.clock() - login.authAt < deps.config.login.reauthMaxAgeMs) return next();
      return refuseForm(req, res, 403, { message: 'Confirm your password' }, form);
    }
    if (typeof password !== 'string') {
      return refuseForm(req, res, 400, { message: 'Password must be a single text value' }, form);
    }
    if (!(await checkPassword(deps, req, res, password, form))) return;
    // the login's own row records it, and must still be there to
    if (!(await deps.users.confirmPassword(login.id, deps.clock()))) return signedOut(req, res);
    next();
  };
}
