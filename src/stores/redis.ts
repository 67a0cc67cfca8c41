import { RedisStore } from 'connect-redis';
import { type SessionData, Store } from 'express-session';
import { createClient } from 'redis';
import { StoreUnavailableError, withDeadline } from '../errors';
import type { Logger } from '../logger';
import { isSession, justWritten, markWritten, parseSession } from './expiry';
import type { Callback, SessionStore } from './types';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisStoreOptions {
  url: string;
  /** key prefix, so sessions share a Redis with other data */
  prefix: string;
  /** deadline for every store call and for connecting */
  timeoutMs: number;
  logger: Logger;
}

const ERROR_LOG_INTERVAL_MS = 10_000; // a down Redis errors on every reconnect attempt

/** Corrupt JSON reads as an object without a cookie, which get and all then treat as no session. */
const tolerantSerializer = {
  parse: (text: string) => parseSession(text) ?? ({} as SessionData),
  stringify: (session: SessionData) => JSON.stringify(session),
};

/** A programming error stays a 500; anything from Redis or the connection is an unavailable store. */
function storeError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || err instanceof TypeError || err instanceof RangeError)
    return err;
  return new StoreUnavailableError(err instanceof Error ? `${err.name}: ${err.message}` : 'redis error'); // for the log only
}

/**
 * Sessions in Redis, shared by every instance of the app. Connects in the background and keeps
 * reconnecting; while Redis is down, unreachable or silent every call fails within timeoutMs.
 */
export class RedisSessionStore extends Store implements SessionStore {
  /** the node-redis client, for other features that keep state in the same Redis */
  readonly client: RedisClient;
  private readonly inner: RedisStore;
  private readonly timeoutMs: number;
  private closed = false;

  constructor({ url, prefix, timeoutMs, logger }: RedisStoreOptions) {
    super();
    this.timeoutMs = timeoutMs;
    this.client = createClient({
      url,
      disableOfflineQueue: true, // fail at once while disconnected instead of queueing
      socket: {
        connectTimeout: timeoutMs,
        reconnectStrategy: (retries) => Math.min(50 + retries * 50, 500), // quick, capped, forever
      },
    });
    let lastLogged = 0;
    this.client.on('error', (err: Error & { code?: string }) => {
      if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
      lastLogged = Date.now();
      // the message only: the error may carry the options, and the URL may hold a password
      logger.warn({ err: { name: err.name, code: err.code, message: err.message } }, 'redis error');
    });
    this.client.on('ready', () => logger.info('redis session store connected'));
    this.inner = new RedisStore({ client: this.client, prefix, serializer: tolerantSerializer });
    this.client.connect().catch(() => {}); // retried in the background; reported by the error listener
  }

  private call<T>(cb: Callback<T> | undefined, what: string, work: () => Promise<T>): void {
    withDeadline(Promise.resolve().then(work), this.timeoutMs, `redis ${what}`).then(
      (value) => process.nextTick(() => cb?.(undefined, value)), // outside the promise: a throw is not swallowed
      (err) => process.nextTick(() => cb?.(storeError(err))),
    );
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.call(cb, 'get', async () => {
      const value: unknown = await this.inner.get(sid);
      return isSession(value) ? value : null;
    });
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    this.call(cb, 'set', async () => {
      await this.inner.set(sid, session);
      markWritten(session);
    });
  }

  override touch(sid: string, session: SessionData, cb?: Callback): void {
    if (justWritten(session)) {
      cb?.();
      return;
    }
    this.call(cb, 'touch', async () => void (await this.inner.touch(sid, session)));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.call(cb, 'destroy', async () => void (await this.inner.destroy(sid)));
  }

  override all(cb: Callback<Record<string, SessionData>>): void {
    this.call(cb, 'all', async () => {
      const list: Array<SessionData & { id: string }> = await this.inner.all();
      const out: Record<string, SessionData> = {};
      for (const { id, ...session } of list) if (isSession(session)) out[id] = session; // skip corrupt
      return out;
    });
  }

  override length(cb: Callback<number>): void {
    this.call(cb, 'length', async () => Number(await this.inner.length()));
  }

  override clear(cb?: Callback): void {
    this.call(cb, 'clear', async () => void (await this.inner.clear()));
  }

  // the per-user index is being built store by store; until then these refuse loudly
  async listByUser(): Promise<never> {
    throw new Error('listByUser: not built yet');
  }

  async destroyByUser(): Promise<never> {
    throw new Error('destroyByUser: not built yet');
  }

  async destroyByKey(): Promise<never> {
    throw new Error('destroyByKey: not built yet');
  }

  async ping(): Promise<void> {
    await withDeadline(this.client.ping(), this.timeoutMs, 'redis ping').catch((err) => {
      throw storeError(err);
    });
  }

  /** Quits politely when connected (pending replies arrive first), else drops the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.isReady) {
      const quit = await withDeadline(this.client.close(), this.timeoutMs, 'redis quit').then(
        () => true,
        () => false,
      );
      if (quit) return;
    }
    try {
      this.client.destroy();
    } catch {} // already closed
  }
}
