import { type Request, Router } from 'express';
import { bodyErrors, bodyField, bodyParsers } from '../http/body';
import { allow, reply } from '../http/replies';
import { readCredentials } from '../login/credentials';
import { current, requireLogin, signedOut } from '../login/current-login';
import { signOut } from '../login/routes';
import { regenerateSession, saveSession } from '../session';
import type { User } from '../users/types';
import { passwordChangedPage, passwordPage } from './pages';
import { checkPassword, type ReauthDeps, refusePassword, requireRecentAuth } from './reauth';
import { done } from './sessions-routes';

type PasswordErrors = { currentPassword?: string; newPassword?: string };

/** Reads {currentPassword, newPassword}; the new one must pass the signup rules. */
function readPasswordChange(body: unknown, rules: ReauthDeps['config']['login'], user: User) {
  const errors: PasswordErrors = {};
  const current = bodyField(body, 'currentPassword');
  if (current === undefined || current === '') errors.currentPassword = 'Current password is required';
  else if (typeof current !== 'string') errors.currentPassword = 'Password must be a single text value';
  // the signup rules for a password; only the password's verdict counts here
  const next = bodyField(body, 'newPassword');
  const checked = readCredentials({ username: user.username, password: next }, rules, 'signup');
  const newError = checked.ok ? undefined : checked.errors.password;
  if (newError) errors.newPassword = newError.replace(/^Password/, 'New password');
  if (errors.currentPassword || errors.newPassword) return { ok: false as const, errors };
  return { ok: true as const, current: current as string, next: next as string };
}

/**
 * Moves this browser's session to a new ID, keeping its count and login, as a login does: a copy of the
 * old cookie is worthless now.
 */
async function moveSession(req: Request): Promise<void> {
  const { count, loginId } = req.session;
  await regenerateSession(req, { count });
  req.session.loginId = loginId;
  await saveSession(req);
}

/** Changing the password and deleting the account. */
export function accountRoutes(deps: ReauthDeps): Router {
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
      const input = readPasswordChange(req.body, config.login, user);
      if (!input.ok) {
        const { errors } = input;
        return reply(req, res, 400, {
          json: { error: 'Invalid input', fields: errors },
          html: () => passwordPage(config, { errors }),
        });
      }
      const check = await checkPassword(deps, req, user, input.current);
      if (!check.ok) {
        const form = (message: string) => passwordPage(config, { message });
        return refusePassword(req, res, check, { form, wrong: 'Current password is wrong' });
      }
      const signedOutElsewhere = await users.changePassword(login.id, user.id, await hasher.hash(input.next));
      if (signedOutElsewhere === undefined) return signedOut(req, res);
      const from = req.sessionID.slice(0, 6);
      await moveSession(req);
      const to = req.sessionID.slice(0, 6);
      reply(req, res, 200, {
        json: { message: 'Password changed', signedOutElsewhere },
        html: () => passwordChangedPage({ signedOutElsewhere, from, to }),
      });
    })
    .all(allow('GET', 'HEAD', 'POST'));

  router
    .route('/account/delete')
    .post(
      body,
      loggedIn,
      requireRecentAuth(deps, { action: () => '/account/delete', always: true }),
      async (req, res) => {
        const { login, user } = current(res);
        if (!(await users.deleteUser(login.id, user.id))) return signedOut(req, res); // its logins go with it
        await signOut(deps, req, res);
        done(req, res, { message: 'Account deleted' }, '/');
      },
    )
    .all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
