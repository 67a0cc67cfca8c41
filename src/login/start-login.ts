import type { Request } from 'express';
import { bodyField } from '../http/body';
import { regenerateSession, saveSession } from '../session';
import type { User } from '../users/types';
import type { LoginDeps } from './current-login';
import { describeDevice } from './device';

/** "Keep me signed in": a checked box (form) or `"remember": true` (JSON). */
export function wantsRemember(body: unknown): boolean {
  const value = bodyField(body, 'remember');
  return value === true || value === '1' || value === 'on' || value === 'true';
}

/**
 * Logs a user in: a fresh session ID (so a planted pre-login cookie is worthless) that keeps the
 * visitor's count, a login row the user owns (past the per-user cap their least recently seen login
 * ends), and the session saved before the reply, so a success means the store has it.
 */
export async function startLogin(
  req: Request,
  user: User,
  { config, users, clock }: LoginDeps,
): Promise<void> {
  await regenerateSession(req, { count: req.session.count });
  const persistent = wantsRemember(req.body);
  const login = await users.startLogin(
    {
      userId: user.id,
      createdAt: clock(),
      device: describeDevice(req.get('user-agent')),
      ip: (req.ip ?? '').slice(0, 45),
      persistent,
    },
    config.store.maxSessionsPerUser,
  );
  req.session.loginId = login.id;
  // unchecked, the cookie has no Expires/Max-Age and goes when the browser closes
  if (!persistent) req.session.cookie.expires = null;
  try {
    await saveSession(req);
  } catch (err) {
    await users.endLogin(login.id).catch(() => {}); // no login row without its session
    throw err;
  }
}
