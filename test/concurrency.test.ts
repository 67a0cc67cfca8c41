import type { Express } from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../src/app';
import type { SessionLock } from '../src/lock/types';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionBackend } from '../src/stores/types';
import { memoryUsers, silentLogger, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { cookieOf, getJson, listen, sendJson } from './support/http';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';
import { redisApp } from './support/store-redis-app';
import { tempDatabase } from './support/stores';

/** An app listening on a free port; closed after the test. */
async function serve(app: Express): Promise<string> {
  const server = await listen(app);
  onTestFinished(() => server.close());
  return server.url;
}

const never: SessionLock = { acquire: async () => () => {} };

/** An app on the backend with the app's own in-process lock unless given one. */
function appOn(backend: SessionBackend, lock?: SessionLock): Express {
  const config = testConfig();
  const store = new HashedKeyStore(backend, config.store.timeoutMs);
  return createApp({
    config,
    store,
    users: memoryUsers(config),
    logger: silentLogger,
    ...(lock ? { lock } : {}),
  });
}

/** Starts a session on the first URL, then fires n increments with its cookie, spread over the URLs. */
async function burst(urls: string[], n: number): Promise<{ statuses: number[]; final: number }> {
  const first = await getJson(`${urls[0]}/increment`);
  const cookie = cookieOf(first.headers) ?? '';
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => getJson(`${urls[i % urls.length]}/increment`, cookie)),
  );
  const final = await getJson(`${urls[0]}/increment`, cookie);
  return { statuses: results.map((r) => r.status), final: Number(final.body.count) - 2 };
}

/**
 * Memory and SQLite answer synchronously, and requests from one test client arrive one after
 * another, so without help two of them never hold the same count (under sustained load they do:
 * without the lock, 15,000 increments counted 615). Answering reads 2 ms later, as a store across a
 * network does, makes them overlap in every run.
 */
function slowReads<T extends SessionBackend>(backend: T): T {
  const get = backend.get.bind(backend);
  backend.get = (key, cb) => get(key, (err, session) => setTimeout(() => cb(err, session), 2));
  return backend;
}

const inProcess: Array<[string, () => SessionBackend]> = [
  ['memory', () => slowReads(new MemorySessionStore({ maxSessions: 100 }))],
  [
    'sqlite',
    () => {
      const backend = new SqliteSessionStore({ db: tempDatabase('lock-').db, maxSessions: 100 });
      onTestFinished(() => backend.close());
      return slowReads(backend);
    },
  ],
];

describe('GET /increment, 100 at once with one cookie', () => {
  it('loses updates without the lock (the problem this solves)', async () => {
    const url = await serve(appOn(slowReads(new MemorySessionStore({ maxSessions: 100 })), never));

    const { final } = await burst([url], 100);

    expect(final).toBeLessThan(100);
  });

  it.each(inProcess)('counts exactly 100 on the %s store', async (_name, makeBackend) => {
    const url = await serve(appOn(makeBackend()));

    const { statuses, final } = await burst([url], 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });

  it.each(inProcess)(
    'counts exactly 100 on one logged-in session, %s store, and stores it once',
    async (_name, makeBackend) => {
      const backend = makeBackend();
      const url = await serve(appOn(backend));
      const signup = await sendJson(`${url}/signup`, undefined, { username: 'ann', password: PASSWORD });
      if (signup.status !== 201 || !signup.cookie) throw new Error(`signup answered ${signup.status}`);

      const results = await Promise.all(
        Array.from({ length: 100 }, () => getJson(`${url}/increment`, signup.cookie)),
      );

      const { sessions } = await backend.recent(10);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.data.count).toBe(100);
    },
  );
});

const hasRedis = redisAvailable('redis concurrency tests');

describe.skipIf(!hasRedis)('GET /increment, 100 at once with one cookie, on Redis', () => {
  const redis = useRedis();

  const redisBackend = async () => {
    const backend = await connectedRedisStore(redis.url);
    onTestFinished(() => backend.close());
    return backend;
  };

  it('loses updates without the lock (the problem this solves)', async () => {
    const url = await serve(redisApp(slowReads(await redisBackend()), { lock: 'none' })); // overlap on any load

    const { final } = await burst([url], 100);

    expect(final).toBeLessThan(100);
  });

  it('counts exactly 100 with the Redis lock', async () => {
    const url = await serve(redisApp(await redisBackend()));

    const { statuses, final } = await burst([url], 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });

  it('counts exactly 100 split across two instances sharing one Redis', async () => {
    const urls = [await serve(redisApp(await redisBackend())), await serve(redisApp(await redisBackend()))];

    const { statuses, final } = await burst(urls, 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });
});
