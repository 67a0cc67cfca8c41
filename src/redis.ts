import { hash } from 'node:crypto';
import { createClient } from 'redis';
import { StoreUnavailableError } from './errors';
import { createLogThrottle, type Logger } from './logger';

export type RedisClient = ReturnType<typeof createClient>;

const ERROR_LOG_INTERVAL_MS = 10_000; // a down Redis errors on every reconnect attempt

/**
 * The node-redis client every Redis user shares (sessions, the lock, the login counters): fails fast
 * while disconnected and keeps reconnecting in the background.
 */
export function createRedisClient(url: string, timeoutMs: number, logger: Logger): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true, // fail at once while disconnected instead of queueing
    socket: {
      connectTimeout: timeoutMs,
      reconnectStrategy: (retries) => Math.min(50 + retries * 50, 500), // quick, capped, forever
    },
  });
  const throttle = createLogThrottle(Date.now, ERROR_LOG_INTERVAL_MS);
  // the message only: the error may carry the options, and the URL may hold a password
  client.on('error', ({ name, code, message }: Error & { code?: string }) =>
    throttle('redis', () => logger.warn({ err: { name, code, message } }, 'redis error')),
  );
  client.on('ready', () => logger.info('redis connected'));
  client.connect().catch(() => {}); // retried in the background; reported by the error listener
  return client;
}

/** A programming error stays a 500; anything from Redis or the connection is an unavailable store. */
export function redisError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || err instanceof TypeError || err instanceof RangeError)
    return err;
  return new StoreUnavailableError(err instanceof Error ? `${err.name}: ${err.message}` : 'redis error');
}

/** The one node-redis method scripts need, so a test can hand in any client. */
export interface ScriptClient {
  sendCommand<T = unknown>(args: string[]): Promise<T>;
}

/** EVALSHA, falling back to EVAL once when Redis has not seen the script (a restart flushes them). */
export async function runScript<T>(
  client: ScriptClient,
  script: string,
  keys: string[],
  args: Array<string | number>,
): Promise<T> {
  const tail = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await client.sendCommand<T>(['EVALSHA', hash('sha1', script, 'hex'), ...tail]);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.sendCommand<T>(['EVAL', script, ...tail]);
  }
}
