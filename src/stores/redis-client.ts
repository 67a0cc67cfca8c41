import { createClient } from 'redis';
import { StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';

export type RedisClient = ReturnType<typeof createClient>;

const ERROR_LOG_INTERVAL_MS = 10_000; // a down Redis errors on every reconnect attempt

/** A node-redis client that fails fast while disconnected and keeps reconnecting in the background. */
export function createRedisClient(url: string, timeoutMs: number, logger: Logger): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true, // fail at once while disconnected instead of queueing
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries) => Math.min(50 + retries * 50, 500), // quick, capped, forever
    },
  });
  let lastLogged = 0;
  client.on('error', (err: Error & { code?: string }) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    // the message only: the error may carry the options, and the URL may hold a password
    logger.warn({ err: { name: err.name, code: err.code, message: err.message } }, 'redis error');
  });
  client.on('ready', () => logger.info('redis session store connected'));
  client.connect().catch(() => {}); // retried in the background; reported by the error listener
  return client;
}

/**
 * A programming error stays a 500; anything from Redis or the connection (a full Redis's OOM
 * refusal included) is an unavailable store: a fast 503.
 */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || err instanceof TypeError || err instanceof RangeError)
    return err;
  return new StoreUnavailableError(err instanceof Error ? `${err.name}: ${err.message}` : 'redis error'); // for the log only
}
