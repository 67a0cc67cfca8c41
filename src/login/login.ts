import type { Request, RequestHandler } from 'express';
import type { User } from '../users/types';
import { type AuthDeps, attemptHandler, formError, replyLoggedIn } from './attempt';
import { whenClientLeaves } from './client-gone';
import { startLogin } from './start-login';
import { refundIfRefused } from './throttle';

const INVALID_LOGIN = 'Invalid username or password';

/** POST /login: the user's session, or 401 with one message for an unknown name and a wrong password. */
export function login(deps: AuthDeps): RequestHandler {
  const { config, users, hasher, limiter } = deps;
  return attemptHandler(deps, 'login', async (req, res, { username, password, ip }) => {
    // refused for want of a store or a hash slot: the password was never checked, so no attempt counts
    const { user, matches } = await refundIfRefused(
      async () => {
        const found = await users.findByUsername(username);
        // exactly one hash either way, so an unknown name costs what a wrong password does
        const hash = found?.passwordHash ?? hasher.dummy;
        return { user: found, matches: await hasher.verify(hash, password, whenClientLeaves(req)) };
      },
      () => limiter.refund(username, ip),
    );
    if (!user || !matches)
      return formError(config, req, res, 'login', 401, { username, message: INVALID_LOGIN });
    await limiter.succeeded(username, ip);
    await rehashIfWeak(deps, req, user, password);
    await startLogin(req, user, deps);
    replyLoggedIn(req, res, user, 200);
  });
}

/**
 * Hashed before the cost was raised: upgrade it while we know the password, so the cheaper hashes,
 * whose quick verify tells a known name from an unknown one, go away with use.
 */
async function rehashIfWeak({ hasher, users }: AuthDeps, req: Request, user: User, password: string) {
  if (!hasher.needsRehash(user.passwordHash)) return;
  await hasher
    .hash(password)
    .then((passwordHash) => users.setPasswordHash(user.id, passwordHash))
    .catch((err: Error) => req.log.warn({ reason: err?.message }, 'password rehash failed')); // next login retries
}
