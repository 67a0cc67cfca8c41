import Bowser from 'bowser';
import type { Request } from 'express';
import { bodyField } from '../http/body';
import { regenerateSession, saveSession } from '../session';
import type { User } from '../users/types';
import type { AuthDeps } from './current-login';

// printable ASCII only: bowser's generic fallback copies a name straight out of the header
const clean = (s: string | undefined) => (s ?? '').replace(/[^\x20-\x7e]/g, '').trim();

/** E.g. "Chrome 131 on Linux": no OS version, which browsers freeze in the reduced User-Agent. */
export function describeDevice(userAgent: string | undefined): string {
  const ua = userAgent?.slice(0, 512).trim(); // far longer than a real one: bounds the parser's work
  if (!ua) return 'unknown device';
  const { browser, os } = Bowser.parse(ua);
  const name = clean(browser.name);
  const major = clean(browser.version).match(/^\d+/)?.[0];
  const described = major && name ? `${name} ${major}` : name;
  const system = clean(os.name);
  const description = system ? `${described || 'unknown browser'} on ${system}` : described;
  return (description || 'unknown device').slice(0, 100);
}

/**
 * Logs a user in: a new session ID (a planted pre-login cookie is worthless) keeping the count, a login
 * row, and the session saved before the reply, so a success means the store has it.
 */
export async function startLogin(req: Request, user: User, { config, users, clock }: AuthDeps) {
  await regenerateSession(req, { count: req.session.count });
  const remember = bodyField(req.body, 'remember'); // "keep me signed in": a checked box, or true in JSON
  const persistent = remember === true || remember === '1' || remember === 'on' || remember === 'true';
  const device = describeDevice(req.get('user-agent'));
  const row = { userId: user.id, createdAt: clock(), device, ip: (req.ip ?? '').slice(0, 45), persistent };
  const login = await users.startLogin(row, config.store.maxSessionsPerUser);
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
