import express, { type Express } from 'express';
import type { Config } from './config';
import { errorHandler, notFound } from './http';
import { createLogger, type Logger, requestLogger } from './logger';
import { demoRoutes } from './routes/demo';
import { healthRoutes } from './routes/health';
import { homeRoutes } from './routes/home';
import { createSessionMiddleware } from './session';
import type { SessionStore } from './stores/types';

export interface AppDeps {
  config: Config;
  store: SessionStore;
  logger?: Logger;
}

/**
 * Builds the whole app from its dependencies. No listening and no process.env here,
 * so every test can build its own app around its own store.
 */
export function createApp({ config, store, logger = createLogger(config.logLevel) }: AppDeps): Express {
  const app = express();

  // settings
  app.disable('x-powered-by');
  app.set('etag', false); // per-session pages are no-store; hashing them is wasted work
  app.set('trust proxy', config.trustProxy);

  // middleware
  app.use(requestLogger(logger));
  app.use(healthRoutes(store)); // before sessions: probes never create or load one
  app.use(createSessionMiddleware(config, store));

  // routes
  app.use(homeRoutes());
  app.use(demoRoutes(config));

  // errors
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
