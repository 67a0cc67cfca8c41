import type { RequestHandler } from 'express';
import { type AuthDeps, attemptHandler, formError, replyLoggedIn } from './attempt';
import { startLogin } from './start-login';
import { refundIfBusy } from './throttle';

/** POST /signup: a new user, logged in at once; 409 when the name is taken. */
export function signup(deps: AuthDeps): RequestHandler {
  const { config, users, hasher, limiter, clock } = deps;
  return attemptHandler(deps, 'signup', async (req, res, { username, password, ip }) => {
    const taken = () =>
      formError(config, req, res, 'signup', 409, { username, message: 'Username is taken' });
    if (await users.findByUsername(username)) return taken(); // skip the hash when we already know
    const passwordHash = await refundIfBusy(
      () => hasher.hash(password),
      () => limiter.refundSignup(ip),
    );
    const user = await users.create({ username, passwordHash, createdAt: clock() });
    if (!user) return taken(); // lost a race for the name
    await startLogin(req, user, deps);
    replyLoggedIn(req, res, user, 201);
  });
}
