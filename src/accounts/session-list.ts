import { createHmac } from 'node:crypto';
import type { Request } from 'express';
import type { Config } from '../config';
import { lastActiveAt } from '../login/user-sessions';
import { storeKey } from '../stores/key';
import type { SessionStore } from '../stores/types';
import type { User } from '../users/types';

/** One of the user's sessions as /sessions shows it. */
export interface ListedSession {
  /** the opaque handle the revoke route takes */
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  device: string;
  ip: string | null;
  /** "keep me signed in": a persistent cookie; otherwise it goes when the browser closes */
  persistent: boolean;
}

// 22 base64url characters: 132 bits, far past guessing, short enough for a URL
const HANDLE_LENGTH = 22;
export const HANDLE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * The handle of a session: an HMAC of its store key with the signing secret. Stable for the session's
 * life, and neither the ID nor the store key can be got back from it, so no cookie can be made from it.
 * It only resolves among the asking user's own sessions, so another user's handle is as unknown as a
 * made-up one.
 */
export function sessionHandle(secret: string, key: string): string {
  return createHmac('sha256', secret)
    .update(`session handle\0${key}`) // its own purpose: never equal to a cookie signature
    .digest('base64url')
    .slice(0, HANDLE_LENGTH);
}

/**
 * The user's live sessions, most recently active first, each with its store key (for the routes, never
 * shown). Sessions already revoked by the generation, or past the login lifetime, are left out: they
 * are logged out on their next request.
 */
export async function listSessions(
  { config, store, clock }: { config: Config; store: SessionStore; clock: () => number },
  req: Request,
  user: User,
): Promise<{ key: string; shown: ListedSession }[]> {
  const currentKey = storeKey(req.sessionID);
  const secret = config.session.secrets[0] ?? '';
  const now = clock();
  const live = (await store.listByUser(user.id)).filter(
    ({ data }) =>
      (data.generation ?? 0) >= user.generation && now - (data.loginAt ?? 0) < config.login.maxAgeMs,
  );
  return live
    .map((listed) => ({
      key: listed.key,
      shown: {
        id: sessionHandle(secret, listed.key),
        current: listed.key === currentKey,
        createdAt: new Date(listed.data.loginAt ?? 0).toISOString(),
        lastActiveAt: new Date(lastActiveAt(listed, config.session.maxAgeMs)).toISOString(),
        device: listed.data.device ?? 'unknown device',
        ip: listed.data.ip ?? null,
        persistent: listed.data.persistent ?? true, // sessions from before the checkbox had persistent cookies
      },
    }))
    .sort((a, b) => b.shown.lastActiveAt.localeCompare(a.shown.lastActiveAt));
}
