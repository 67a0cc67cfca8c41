import express, { type Express } from 'express';
import session from 'express-session';
import { accountRoutes } from './accounts/account-routes';
import { yourSessionsRoutes } from './accounts/sessions-routes';
import { assetRoutes } from './assets/routes';
import type { Config } from './config';
import { demoRoutes } from './demo/routes';
import { crossOriginProtection } from './http/cross-origin';
import { healthRoutes, type ReadinessChecks } from './http/probes';
import { createErrorHandler, noStoreWithCookies, notFound } from './http/replies';
import { requestLogger } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import { inspectorRoutes } from './inspector/routes';
import { MemoryLock } from './lock/memory';
import { serializeSessions } from './lock/middleware';
import type { SessionLock } from './lock/types';
import { createLogger, type Logger } from './logger';
import { createPasswordHasher, type PasswordHasher } from './login/password';
import { authRoutes } from './login/routes';
import { type AttemptLimiter, createAttemptLimiter } from './login/throttle';
import type { HashedKeyStore } from './stores/hashed-keys';
import type { UserStore } from './users/types';

export interface AppDeps {
  config: Config;
  /** the session store: a backend (memory, SQLite, Redis) behind the one that hashes the IDs */
  store: HashedKeyStore;
  users: UserStore;
  logger?: Logger;
  /** per-session serialization; in-memory by default, Redis when instances share a Redis store */
  lock?: SessionLock;
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

/** The whole app from its dependencies; no listening, no process.env, so each test builds its own. */
export function createApp({
  config,
  store,
  users,
  logger = createLogger(config.logLevel),
  lock = new MemoryLock(config.lock),
  hasher = createPasswordHasher({
    cost: config.login.scryptCost,
    concurrency: config.login.hashConcurrency,
    maxWaitMs: config.login.hashMaxWaitMs,
  }),
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
  app.use(healthRoutes(checks, config.store.timeoutMs, stopping)); // before sessions: probes never create or load one
  app.use(assetRoutes()); // before sessions too: the stylesheet is the same for everyone
  // refused before any session is loaded, so a cross-origin request changes nothing
  app.use(crossOriginProtection(config.login.allowedOrigins, ['/increment', '/clear'])); // GETs that write
  app.use(serializeSessions(config, lock)); // same-session requests run one at a time: no lost updates
  app.use(noStoreWithCookies); // just before sessions, so it sees the cookie they set on the way out

  // the lesson's session middleware: req.session, loaded from the store by the ID in a signed cookie
  app.use(
    session({
      secret: config.session.secrets, // from SESSION_SECRET; the first signs, all verify
      name: config.session.cookieName, // sid (__Host-sid when Secure)
      store, // where the data lives, under the SHA-256 of each session ID
      resave: false, // don't save session if unmodified
      saveUninitialized: false, // don't create session until something stored
      rolling: true, // send the cookie on every answer, so its expiry follows the last visit
      cookie: {
        httpOnly: true, // page scripts cannot read it
        secure: config.session.secure, // HTTPS only; on by default in production
        sameSite: 'lax', // not sent with another site's forms
        maxAge: config.session.maxAgeMs, // idle lifetime: SESSION_MAX_AGE_SECONDS
      },
    }),
  );
  app.use(inspectorRoutes({ config, store, users })); // notes the session as it came: the panel on pages

  // routes
  const deps = { config, users, hasher, clock, limiter };
  app.use(demoRoutes({ config, users }));
  app.use(authRoutes(deps));
  app.use(yourSessionsRoutes(deps));
  app.use(accountRoutes(deps));

  // errors
  app.use(notFound);
  app.use(createErrorHandler(clock)); // its own count of refusals, so apps never share one
  return app;
}
