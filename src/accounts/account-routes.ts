import { type Request, Router } from 'express';
import { bodyErrors, bodyField, bodyParsers } from '../http/body';
import { allow, reply } from '../http/replies';
import { readCredentials } from '../login/credentials';
import { loggedInUser, requireLogin, setCookieKind } from '../login/current-user';
import { endSession, regenerateSession, requireSession, saveSession } from '../session/middleware';
import type { User } from '../users/types';
import { passwordPage } from './pages';
import { checkPassword, refusePassword, requireRecentAuth } from './reauth';
import { done, type SessionsDeps } from './sessions-routes';

type PasswordErrors = { currentPassword?: string; newPassword?: string };

/** Reads {currentPassword, newPassword}; the new one must pass the signup rules. */
function readPasswordChange(body: unknown, rules: SessionsDeps['config']['login'], user: User) {
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

/** Moves the session to a new ID keeping what it holds (as a login does, so an old copy of the cookie is worthless). */
async function moveSession(req: Request, now: number, generation: number): Promise<void> {
  // regenerateSession records the replaced ID's prefix on the new session; the old one's goes
  const { cookie: _, previousIdPrefix: _previous, ...kept } = requireSession(req);
  await regenerateSession(req);
  Object.assign(requireSession(req), kept, { generation, authAt: now });
  setCookieKind(req, kept.persistent ?? true);
  await saveSession(req);
}

/** Changing the password and deleting the account. */
export function accountRoutes(deps: SessionsDeps): Router {
  const { config, users, store, hasher, clock } = deps;
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
      const input = readPasswordChange(req.body, config.login, loggedInUser(res));
      if (!input.ok) {
        const { errors } = input;
        return reply(req, res, 400, {
          json: { error: 'Invalid input', fields: errors },
          html: () => passwordPage(config, { errors }),
        });
      }
      const check = await checkPassword(deps, req, loggedInUser(res), input.current);
      if (!check.ok) {
        const form = (message: string) => passwordPage(config, { message });
        return refusePassword(req, res, check, { form, wrong: 'Current password is wrong' });
      }
      await users.setPasswordHash(loggedInUser(res).id, await hasher.hash(input.next));
      await store.destroyByUser(loggedInUser(res).id, { except: req.sessionID });
      await moveSession(req, clock(), await users.bumpGeneration(loggedInUser(res).id));
      done(req, res, { message: 'Password changed' }, '/profile');
    })
    .all(allow('GET', 'HEAD', 'POST'));

  router
    .route('/account/delete')
    .post(
      body,
      loggedIn,
      requireRecentAuth(deps, { action: () => '/account/delete', always: true }),
      async (req, res) => {
        const { id } = loggedInUser(res);
        await store.destroyByUser(id); // first: should this fail, the account is still whole
        await users.delete(id);
        await endSession(req, res, config, 'Error deleting the account');
        done(req, res, { message: 'Account deleted' }, '/');
      },
    )
    .all(allow('POST'));

  router.use(bodyErrors);
  return router;
}
