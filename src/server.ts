import { availableParallelism } from 'node:os';
import dotenv from 'dotenv';
import { createApp } from './app';
import { createBackends } from './backends';
import { type Config, ConfigError, loadConfig } from './config';
import { StartError } from './errors';
import { createHttpServer, listen } from './http/server';
import { localSecret } from './local-secret';
import { createLogger, type Logger, wantsPrettyLogs } from './logger';

const LOCAL_SECRET_FILE = 'data/session-secret';

async function withSecret(config: Config, logger: Logger): Promise<Config> {
  if (config.session.secrets.length > 0) return config;
  const { secret, created } = await localSecret(LOCAL_SECRET_FILE);
  logger.info(
    `no SESSION_SECRET set: ${created ? 'generated one and ' : ''}using the one in ${LOCAL_SECRET_FILE}`,
  );
  return { ...config, session: { ...config.session, secrets: [secret] } };
}

async function main(logger: Logger, config: Config): Promise<void> {
  const ready = await withSecret(config, logger);
  if (config.session.secure && config.trustProxy === false)
    logger.warn(
      'cookies are Secure and TRUST_PROXY is not set: no cookie over plain HTTP or from behind a TLS proxy',
    );
  const backends = await createBackends(ready, logger);
  const stopping = new AbortController();
  const app = createApp({ ...backends, config: ready, logger, stopping: stopping.signal });
  const { server, drain } = createHttpServer(app, config.limits);
  const url = await listen(server, config.port, config.host).catch(async (err) => {
    await backends.close();
    throw err;
  });
  logger.info(`listening on ${url} (session store: ${config.store.kind})`);

  const shutdown = async (signal: string) => {
    if (stopping.signal.aborted) return;
    stopping.abort(); // readiness fails from now on
    const { shutdownDelayMs: delay, shutdownTimeoutMs } = config.limits;
    logger.info(
      `${signal}: ${delay ? `not ready, serving ${delay} ms more, then ` : ''}finishing in-flight requests`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay)); // the balancer stops sending first
    // from the end of the delay: a store that will not close must not keep the process up past the deadline
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, shutdownTimeoutMs + 1500).unref();
    await drain();
    await backends.close();
    logger.info('backends closed');
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

dotenv.config({ quiet: true });
let config: Config;
try {
  config = loadConfig(process.env, { cores: availableParallelism() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`config error: ${err.message}`);
  process.exit(1);
}
const logger = createLogger(config.logLevel, undefined, {
  pretty: wantsPrettyLogs(process.env, process.stdout.isTTY === true),
});
main(logger, config).catch((err) => {
  // an expected start-up failure is one line; anything else is a bug and keeps its stack
  if (err instanceof StartError) logger.fatal(err.message);
  else logger.fatal({ err }, 'start-up failed');
  process.exit(1);
});
