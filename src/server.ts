import { createServer } from 'node:http';
import dotenv from 'dotenv';
import { createApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { localSecret } from './secret';
import { createSessionStore } from './stores';

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
  const app = createApp({ config: ready, store, logger });

  const { limits } = config;
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    app,
  );
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
    // past the deadline, cut what is left rather than hang
    const force = setTimeout(() => server.closeAllConnections(), limits.shutdownTimeoutMs).unref();
    server.close(async () => {
      clearTimeout(force);
      await store.close().catch((err) => logger.error({ err }, 'closing the session store failed'));
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
