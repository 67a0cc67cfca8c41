import type { Request, RequestHandler, Response } from 'express';
import { bodyField } from '../http/body';
import { reply } from '../http/replies';
import { whenClientLeaves } from '../login/client-gone';
import { clientIp, setRetryAfter } from '../login/client-key';
import { current, type LoginDeps, signedOut } from '../login/current-login';
import type { PasswordHasher } from '../login/password';
import { type AttemptLimiter, refundIfRefused } from '../login/throttle';
import type { User } from '../users/types';
import { confirmPage } from './pages';

export interface ReauthDeps extends LoginDeps {
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
}

export type PasswordCheck = { ok: true } | { ok: false; status: 401 | 429; retryAfterMs?: number };

/** Checks a password the logged-in user typed, counted by the login throttle exactly as a login is. */
export async function checkPassword(
  { hasher, limiter }: ReauthDeps,
  req: Request,
  user: User,
  password: string,
): Promise<PasswordCheck> {
  const ip = clientIp(req); // the key /login counts under, so a guess here costs what a login guess does
  const verdict = await limiter.attempt(user.username, ip); // consumed before the hash, as at /login
  if (!verdict.allowed) return { ok: false, status: 429, retryAfterMs: verdict.retryAfterMs };
  const matches = await refundIfRefused(
    () => hasher.verify(user.passwordHash, password, whenClientLeaves(req)),
    () => limiter.refund(user.username, ip),
  );
  if (!matches) return { ok: false, status: 401 };
  await limiter.succeeded(user.username, ip);
  return { ok: true };
}

/** Answers a refused password check: 401 or 429 (with Retry-After), as JSON or the form asking again. */
export function refusePassword(
  req: Request,
  res: Response,
  check: Extract<PasswordCheck, { ok: false }>,
  { form, wrong = 'Wrong password' }: { form: (message: string) => string; wrong?: string },
) {
  if (check.retryAfterMs) setRetryAfter(res, check.retryAfterMs);
  const message = check.status === 429 ? 'Too many attempts; try again later' : wrong;
  reply(req, res, check.status, { json: { error: message }, html: () => form(message) });
}

/**
 * After requireLogin: lets the request through when the session authenticated within
 * REAUTH_MAX_AGE_SECONDS, or when a correct `password` comes with it (which counts as authenticating).
 * Decided before the route looks anything up, so a 403 tells nothing about what was asked for.
 * `always`: a password is required however fresh the login (deleting the account).
 */
export function requireRecentAuth(
  deps: ReauthDeps,
  { action, always = false }: { action: (req: Request) => string; always?: boolean },
): RequestHandler {
  return async (req, res, next) => {
    const { login, user } = current(res);
    const password = bodyField(req.body, 'password');
    const fresh = !always && deps.clock() - login.authAt < deps.config.login.reauthMaxAgeMs;
    if (password === undefined || password === '') {
      if (fresh) return next();
      return reply(req, res, 403, {
        json: { error: 'Confirm your password' },
        html: () => confirmPage(action(req), 'Confirm your password'),
      });
    }
    if (typeof password !== 'string') {
      return reply(req, res, 400, {
        json: { error: 'Password must be a single text value' },
        html: () => confirmPage(action(req), 'Password must be a single text value'),
      });
    }
    const check = await checkPassword(deps, req, user, password);
    if (!check.ok) {
      return refusePassword(req, res, check, { form: (message) => confirmPage(action(req), message) });
    }
    // the login's own row records it, and must still be there to
    if (!(await deps.users.confirmPassword(login.id, deps.clock()))) return signedOut(req, res);
    next();
  };
}
