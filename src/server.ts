import dotenv from 'dotenv';
import { createApp } from './app';
import { createAttemptLimiter } from './auth/throttle';
import { type Config, ConfigError, loadConfig } from './config';
import { openDatabase } from './db';
import { createHttpServer } from './listen';
import { createSessionLock } from './lock/create';
import { createLogger, type Logger } from './logger';
import { localSecret } from './secret';
import { createSessionStore } from './stores';
import { RedisSessionStore } from './stores/redis';
import { SqliteUserStore } from './users/sqlite';

const LOCAL_SECRET_FILE = 'data/session-secret';

async function withSecret(config: Config, logger: Logger): Promise<Config> {
  if (config.session.secrets.length > 0) return config;
  const { secret, created } = await localSecret(LOCAL_SECRET_FILE);
  logger.info(
    `no SESSION_SECRET set: ${created ? 'generated one and ' : ''}using the one in ${LOCAL_SECRET_FILE}`,
  );
  return { ...config, session: { ...config.session, secrets: [secret] } };
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = await (async () => {
    try {
      return loadConfig(process.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(`config error: ${err.message}`);
      process.exit(1);
    }
  })();
  const logger = createLogger(config.logLevel);
  const ready = await withSecret(config, logger);
  const store = await createSessionStore(ready, logger);
  const lock = createSessionLock(ready, store, logger); // in Redis when instances share a Redis store
  // users live in the SQLite file whatever the session store; several machines need a shared SQL database
  const userDb = openDatabase(ready.store.sqlitePath);
  const users = new SqliteUserStore(userDb);
  // login attempt counters live where sessions do: in Redis they are shared by every instance
  const limiter = createAttemptLimiter(ready, store instanceof RedisSessionStore ? store.client : undefined);
  const app = createApp({ config: ready, store, logger, lock, users, limiter });

  const { limits } = config;
  const { server, drain } = createHttpServer(app, limits);
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(`listening on http://${config.host}:${port} (session store: ${config.store.kind})`);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing in-flight requests`);
    // a store that will not close must not keep the process up past the deadline
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, limits.shutdownTimeoutMs + 1500).unref();
    drain().then(async () => {
      await store.close().then(
        () => logger.info('session store closed'),
        (err) => logger.error({ err }, 'closing the session store failed'),
      );
      userDb.close();
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
