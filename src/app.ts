import express, { type Express } from 'express';
import { accountRoutes } from './accounts/account-routes';
import { yourSessionsRoutes } from './accounts/sessions-routes';
import { assetRoutes } from './assets/routes';
import type { Config } from './config';
import { homeRoutes } from './demo/home';
import { demoRoutes } from './demo/routes';
import { crossOriginProtection } from './http/cross-origin';
import { healthRoutes, type ReadinessChecks } from './http/probes';
import { createErrorHandler, noStoreWithCookies, notFound } from './http/replies';
import { securityHeaders } from './http/security-headers';
import { inspectRequests } from './inspector';
import { sessionRoutes } from './inspector/routes';
import { MemoryLock, type SessionLock, serializeSessions } from './lock';
import { createLogger, type Logger, requestLogger } from './logger';
import { createPasswordHasher, type PasswordHasher } from './login/password';
import { authRoutes } from './login/routes';
import { type AttemptLimiter, createAttemptLimiter } from './login/throttle';
import { createSessionMiddleware } from './session/middleware';
import { openDatabase } from './sqlite-file';
import type { SessionStore } from './stores/types';
import { SqliteUserStore } from './users/sqlite';
import type { UserStore } from './users/types';

export interface AppDeps {
  config: Config;
  store: SessionStore;
  logger?: Logger;
  /** per-session serialization; in-memory by default, Redis when instances share a Redis store */
  lock?: SessionLock;
  /** server.ts passes the file-backed store; the default is an empty in-memory database */
  users?: UserStore;
  hasher?: PasswordHasher;
  /** ms since epoch, for login lifetimes; tests move it */
  clock?: () => number;
  /** login attempt counters; in memory by default, Redis when instances share a Redis store */
  limiter?: AttemptLimiter;
  /** readiness probes by name; the session store's ping by default */
  checks?: ReadinessChecks;
  /** aborted when the server begins to shut down: readiness fails from then on */
  stopping?: AbortSignal;
}

/**
 * Builds the whole app from its dependencies. No listening and no process.env here,
 * so every test can build its own app around its own store.
 */
export function createApp({
  config,
  store,
  logger = createLogger(config.logLevel),
  lock = new MemoryLock(config.lock),
  users = new SqliteUserStore(openDatabase(':memory:')),
  hasher = createPasswordHasher({ cost: config.login.scryptCost, concurrency: config.login.hashConcurrency }),
  clock = Date.now,
  limiter = createAttemptLimiter(config),
  checks = { sessions: () => store.ping() },
  stopping,
}: AppDeps): Express {
  const app = express();

  // settings
  app.disable('x-powered-by');
  app.set('etag', false); // per-session pages are no-store; hashing them is wasted work
  app.set('trust proxy', config.trustProxy);

  // middleware
  app.use(requestLogger(logger));
  app.use(securityHeaders(config)); // first, so every answer carries them, errors included
  app.use(healthRoutes({ checks, stopping, timeoutMs: config.store.timeoutMs })); // before sessions: probes never create or load one
  app.use(assetRoutes()); // before sessions too: the stylesheet is the same for everyone
  // refused before any session is loaded, so a cross-origin request changes nothing
  app.use(crossOriginProtection({ ...config.login, stateChangingGets: ['/increment', '/clear'] }));
  app.use(serializeSessions(config, lock)); // same-session requests run one at a time: no lost updates
  app.use(noStoreWithCookies); // just before sessions, so it sees the cookie they set on the way out
  app.use(createSessionMiddleware(config, store));
  app.use(inspectRequests(config, clock)); // notes the session as it arrived, for the inspector panel

  // routes
  app.use(homeRoutes({ config, users, clock }));
  app.use(authRoutes({ config, users, hasher, clock, limiter }));
  app.use(demoRoutes(config));
  app.use(sessionRoutes());
  app.use(yourSessionsRoutes({ config, users, hasher, clock, limiter, store }));
  app.use(accountRoutes({ config, users, hasher, clock, limiter, store }));

  // errors
  app.use(notFound);
  app.use(createErrorHandler(clock)); // its own count of refusals, so apps never share one
  return app;
}
