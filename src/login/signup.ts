import type { RequestHandler } from 'express';
import { reply } from '../http/replies';
import { type AuthDeps, formError, readAndThrottle, replyLoggedIn } from './attempt';
import { startLogin } from './current-user';
import { signupPage } from './pages';
import { refundIfBusy } from './throttle';

/** GET /signup: the form, or the fields a JSON client sends. */
export const signupForm =
  ({ config }: AuthDeps): RequestHandler =>
  (req, res) =>
    reply(req, res, 200, { json: { fields: ['username', 'password'] }, html: () => signupPage(config) });

/** POST /signup: a new user, logged in at once; 409 when the name is taken. */
export function signup(deps: AuthDeps): RequestHandler {
  const { config, users, hasher, limiter, clock } = deps;
  return async (req, res) => {
    const attempt = await readAndThrottle(deps, 'signup', req, res);
    if (!attempt) return;
    const { username, password, ip } = attempt;
    const taken = () =>
      formError(config, req, res, 'signup', 409, { username, message: 'Username is taken' });
    if (await users.findByUsername(username)) return taken(); // skip the hash when we already know
    const passwordHash = await refundIfBusy(
      () => hasher.hash(password),
      () => limiter.refundSignup(ip),
    );
    const user = await users.create({ username, passwordHash, createdAt: clock() });
    if (!user) return taken(); // lost a race for the name
    await startLogin(req, user, clock(), config);
    replyLoggedIn(req, res, user, 201);
  };
}
