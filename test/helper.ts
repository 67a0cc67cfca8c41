import { sign } from 'cookie-signature';
import type { Express } from 'express';
import type { Response } from 'supertest';
import { createApp } from '../src/app';
import { type Config, loadConfig } from '../src/config';
import type { SessionLock } from '../src/lock/types';
import { createLogger } from '../src/logger';
import type { PasswordHasher } from '../src/login/password';
import type { AttemptLimiter } from '../src/login/throttle';
import { openDatabase } from '../src/sqlite/database';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import type { SessionBackend } from '../src/stores/types';
import { SqliteUserStore } from '../src/users/sqlite';
import type { UserStore } from '../src/users/types';

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';
export const silentLogger = createLogger('silent');

/** Config as tests want it: memory store, quiet log, cheap password hashing; override any key. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    SESSION_STORE: 'memory',
    LOG_LEVEL: 'silent',
    SCRYPT_COST: '1024',
    ...env,
  });
}

export interface AppOptions {
  config?: Config;
  /** the session backend behind the hashing store; a memory store by default */
  backend?: SessionBackend;
  users?: UserStore;
  hasher?: PasswordHasher;
  clock?: () => number;
  limiter?: AttemptLimiter;
  lock?: SessionLock;
}

/** Users in a fresh in-memory SQLite, with the config's login lifetimes. */
export function memoryUsers(config: Config = testConfig()): UserStore {
  const lifetimes = { idleMs: config.session.maxAgeMs, maxAgeMs: config.login.maxAgeMs };
  return new SqliteUserStore(openDatabase(':memory:'), lifetimes);
}

/** A fresh app around its own stores (users in an in-memory SQLite), so nothing leaks between tests. */
export function buildApp(options: AppOptions = {}): {
  app: Express;
  store: HashedKeyStore;
  backend: SessionBackend;
  config: Config;
  users: UserStore;
} {
  const config = options.config ?? testConfig();
  const backend =
    options.backend ?? new MemorySessionStore({ maxSessions: 1000, ttlMs: config.session.maxAgeMs });
  const store = new HashedKeyStore(backend, config.store.timeoutMs);
  const users = options.users ?? memoryUsers(config);
  const app = createApp({ ...options, config, store, users, logger: silentLogger });
  return { app, store, backend, config, users };
}

/** The `name=value` part of the session cookie a response set; fails the test when there is none. */
export function cookieFrom(res: Response, name = 'sid'): string {
  const cookie = sessionCookie(res, name);
  if (cookie === undefined) throw new Error(`expected a ${name} cookie, got: ${res.headers['set-cookie']}`);
  return cookie;
}

/** The `name=value` part of the session cookie a response set, or undefined. */
export function sessionCookie(res: Response, name = 'sid'): string | undefined {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return header?.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}

/** The cookie value express-session sets for a session ID: `s:` and cookie-signature's signature. */
export function signedSessionId(sid: string, secret = TEST_SECRET): string {
  return `s:${sign(sid, secret)}`;
}

/** The session ID inside a signed cookie value (`sid=s%3A<id>.<sig>`). */
export function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  return value.slice(2, value.lastIndexOf('.'));
}
