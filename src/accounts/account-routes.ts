import { Router } from 'express';
import type { Config } from '../config';
import { bodyErrors, bodyField, bodyParsers } from '../http/body';
import { allow, reply } from '../http/replies';
import { passwordError, refuseForm, textError } from '../login/attempt';
import { type AuthDeps, current, requireLogin, signedOut, signOut } from '../login/current-login';
import { regenerateSession, saveSession } from '../session';
import { passwordChangedPage, passwordPage } from './pages';
import { checkPassword, requireRecentAuth } from './reauth';

/** Reads {currentPassword, newPassword}; the new one must pass the signup rules. */
function readPasswordChange(body: unknown, { passwordMinLength, passwordMaxLength }: Config['login']) {
  const current = bodyField(body, 'currentPassword');
  const next = bodyField(body, 'newPassword');
  const errors = {
    currentPassword:
      current === undefined || current === ''
        ? 'Current password is required'
        : textError(current, 'Password'),
    newPassword: passwordError(next, 'New password', passwordMinLength, passwordMaxLength),
  };
  if (errors.currentPassword || errors.newPassword) return { errors };
  return { current: current as string, next: next as string };
}

/** Changing the password and deleting the account. */
export function accountRoutes(deps: AuthDeps): Router {
  const { config, users, hasher } = deps;
  const router = Router();
  const loggedIn = requireLogin(deps);
  const body = bodyParsers(config);

  router
    .route('/password')
    .get(loggedIn, (req, res) =>
      reply(req, res, 200, {
        json: { fields: ['currentPassword', 'newPassword'] },
        html: () => passwordPage(config),
      }),
    )
    .post(body, loggedIn, async (req, res) => {
      const { login, user } = current(res);
      const input = readPasswordChange(req.body, config.login);
      const form = (state: Parameters<typeof passwordPage>[1]) => passwordPage(config, state);
      if (input.errors) return refuseForm(req, res, 400, input, form);
      if (!(await checkPassword(deps, req, res, input.current, form, 'Current password is wrong'))) return;
      const signedOutElsewhere = await users.changePassword(login.id, user.id, await hasher.hash(input.next));
      if (signedOutElsewhere === undefined) return signedOut(req, res);
      // this session moves to a new ID, keeping its count and login as a login does: a copy of the
      // old cookie is worthless now
      const from = req.sessionID.slice(0, 6);
      await regenerateSession(req, { count: req.session.count });
      req.session.loginId = login.id;
      await saveSession(req);
      reply(req, res, 200, {
        json: { message: 'Password changed', signedOutElsewhere },
        html: () => passwordChangedPage(signedOutElsewhere, from, req.sessionID.slice(0, 6)),
      });
    })
    .all(allow('GET', 'HEAD', 'POST'));

  router
    .route('/account/delete')
    .post(body, loggedIn, requireRecentAuth(deps, '/account/delete', true), async (req, res) => {
      const { login, user } = current(res);
      if (!(await users.deleteUser(login.id, user.id))) return signedOut(req, res); // its logins go with it
      await signOut(deps, req, res, { message: 'Account deleted' });
    })
    .all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
