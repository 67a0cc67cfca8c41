import type { Login } from '../users/types';

/** One of the user's logins as /sessions shows it. */
export interface ListedSession {
  /** the login's id: the revoke route's handle; every query is scoped by the user, so another's is unknown */
  id: string;
  current: boolean;
  createdAt: string;
  lastActiveAt: string;
  device: string;
  ip: string;
  /** "keep me signed in": a persistent cookie; otherwise it goes when the browser closes */
  persistent: boolean;
}

export const HANDLE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** A login row as the list shows it; `currentId` is this browser's login. */
export const listed = (login: Login, currentId: string): ListedSession => ({
  id: login.id,
  current: login.id === currentId,
  createdAt: new Date(login.createdAt).toISOString(),
  lastActiveAt: new Date(login.lastSeenAt).toISOString(),
  device: login.device,
  ip: login.ip,
  persistent: login.persistent,
});
