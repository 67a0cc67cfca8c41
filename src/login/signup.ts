import type { RequestHandler } from 'express';
import { type AuthDeps, attemptHandler, formError, replyLoggedIn } from './attempt';
import { whenClientLeaves } from './client-gone';
import { startLogin } from './start-login';
import { refundIfRefused } from './throttle';

/** POST /signup: a new user, logged in at once; 409 when the name is taken. */
export function signup(deps: AuthDeps): RequestHandler {
  const { config, users, hasher, limiter, clock } = deps;
  return attemptHandler(deps, 'signup', async (req, res, { username, password, ip }) => {
    const taken = () =>
      formError(config, req, res, 'signup', 409, { username, message: 'Username is taken' });
    // refused for want of a store or a hash slot: no account was made, so no signup counts
    const user = await refundIfRefused(
      async () => {
        if (await users.findByUsername(username)) return undefined; // skip the hash when we already know
        const passwordHash = await hasher.hash(password, whenClientLeaves(req));
        return users.create({ username, passwordHash, createdAt: clock() }); // undefined: lost a race for the name
      },
      () => limiter.refundSignup(ip),
    );
    if (!user) return taken();
    await startLogin(req, user, deps);
    replyLoggedIn(req, res, user, 201);
  });
}
