import { type RequestHandler, Router } from 'express';
import type { Config } from '../config';
import { bodyErrors, bodyField, bodyParsers } from '../http/body';
import { allow, reply } from '../http/replies';
import { passwordError, refuseForm, textError, verifyPassword } from '../login/attempt';
import { type AuthDeps, current, requireLogin, signedOut, signOut } from '../login/current-login';
import type { FormPage } from '../login/pages';
import { regenerateSession, saveSession } from '../session';
import { confirmPage, passwordChangedPage, passwordPage } from './pages';

/** Why the user's password was refused (it counts against the login throttle, as a login does). */
const refusal = (status: number, wrong = 'Wrong password') =>
  status === 429 ? 'Too many attempts; try again later' : wrong;

/**
 * After requireLogin: passes when the password was entered within REAUTH_MAX_AGE_SECONDS (never, with
 * `always`) or comes correct with the request. Before any lookup, so a 403 tells nothing of the target.
 */
export function requireRecentAuth(deps: AuthDeps, path: string, always = false): RequestHandler {
  return async (req, res, next) => {
    const { login, user } = current(res);
    const password = bodyField(req.body, 'password');
    // the form asking for the password posts back to the route asked for
    const action = path.replace(':id', encodeURIComponent(String(req.params.id)));
    const form: FormPage = (state) => confirmPage(action, state);
    if (password === undefined || password === '') {
      if (!always && deps.clock() - login.authAt < deps.config.login.reauthMaxAgeMs) return next();
      return refuseForm(req, res, 403, { message: 'Confirm your password' }, form);
    }
    if (typeof password !== 'string') {
      return refuseForm(req, res, 400, { message: 'Password must be a single text value' }, form);
    }
    const checked = await verifyPassword(deps, req, res, user.username, password, async () => user);
    if (typeof checked === 'number') {
      return refuseForm(req, res, checked, { message: refusal(checked) }, form);
    }
    // the login's own row records it, and must still be there to
    if (!(await deps.users.confirmPassword(login.id, deps.clock()))) return signedOut(req, res);
    next();
  };
}

/** Reads {currentPassword, newPassword}; the new one must pass the signup rules. */
function readPasswordChange(body: unknown, { passwordMinLength, passwordMaxLength }: Config['login']) {
  const current = bodyField(body, 'currentPassword');
  const next = bodyField(body, 'newPassword');
  const errors = {
    currentPassword: textError(current, 'Password', 'Current password is required'),
    newPassword: passwordError(next, 'New password', passwordMinLength, passwordMaxLength),
  };
  if (errors.currentPassword || errors.newPassword) return { errors };
  return { current: current as string, next: next as string };
}

/** Changing the password and deleting the account, each after the password is entered again. */
export function accountRoutes(deps: AuthDeps): Router {
  const { config, users, hasher } = deps;
  const router = Router();
  const loggedIn = requireLogin(deps);
  const body = bodyParsers(config);

  const form: FormPage = (state) => passwordPage(config, state);
  const fields = ['currentPassword', 'newPassword'];
  const changePassword: RequestHandler = async (req, res) => {
    const { login, user } = current(res);
    const input = readPasswordChange(req.body, config.login);
    if (input.errors) return refuseForm(req, res, 400, input, form);
    const checked = await verifyPassword(deps, req, res, user.username, input.current, async () => user);
    if (typeof checked === 'number') {
      return refuseForm(req, res, checked, { message: refusal(checked, 'Current password is wrong') }, form);
    }
    const signedOutElsewhere = await users.changePassword(login.id, user.id, await hasher.hash(input.next));
    if (signedOutElsewhere === undefined) return signedOut(req, res);
    // a new session ID, keeping the count and login as a login does: a copy of the old cookie is worthless
    const from = req.sessionID.slice(0, 6);
    await regenerateSession(req, { count: req.session.count });
    req.session.loginId = login.id;
    await saveSession(req);
    reply(req, res, 200, {
      json: { message: 'Password changed', signedOutElsewhere },
      html: () => passwordChangedPage(signedOutElsewhere, from, req.sessionID.slice(0, 6)),
    });
  };
  const deleteAccount: RequestHandler = async (req, res) => {
    const { login, user } = current(res);
    if (!(await users.deleteUser(login.id, user.id))) return signedOut(req, res); // its logins go with it
    await signOut(deps, req, res, { message: 'Account deleted' });
  };

  router
    .route('/password')
    .get(loggedIn, (req, res) => reply(req, res, 200, { json: { fields }, html: () => form({}) }))
    .post(body, loggedIn, changePassword)
    .all(allow('GET', 'HEAD', 'POST'));
  const recentAuth = requireRecentAuth(deps, '/account/delete', true);
  router.route('/account/delete').post(body, loggedIn, recentAuth, deleteAccount).all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
