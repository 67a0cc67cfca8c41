import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { redisLock } from '../src/backends';
import type { SessionLock } from '../src/lock';
import { MemorySessionStore } from '../src/stores/memory';
import type { RedisSessionStore } from '../src/stores/redis';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionStore } from '../src/stores/types';
import { silentLogger, testConfig } from './helper';
import { cookieOf, getJson, listen } from './support/http';
import { connectedRedisStore, type RedisServer, redisAvailable, startRedis } from './support/redis';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An app on its own store and lock, listening on a free port. */
async function serve(store: SessionStore, lock?: SessionLock): Promise<string> {
  const config = testConfig();
  const app = createApp({
    config,
    store,
    logger: silentLogger,
    lock, // the app's in-process lock unless given one
  });
  const server = await listen(app);
  cleanups.push(
    () => server.close(),
    () => store.close(),
  );
  return server.url;
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

const never: SessionLock = { acquire: async () => () => {} };

/**
 * Memory and SQLite answer synchronously, so 100 requests happen not to interleave between load and
 * save (under sustained load they do: without the lock, 15,000 increments counted 615). Answering
 * reads on a later tick, as a network store does, makes the race show in every run.
 */
function deferReads<T extends SessionStore>(store: T): T {
  const get = store.get.bind(store);
  store.get = (sid, cb) => get(sid, (err, session) => setImmediate(() => cb(err, session)));
  return store;
}

describe('GET /increment, 100 at once with one cookie', () => {
  it('loses updates without the lock (the problem this solves)', async () => {
    const url = await serve(deferReads(new MemorySessionStore({ maxSessions: 100 })), never);

    const { final } = await burst([url], 100);

    expect(final).toBeLessThan(100);
  });

  it('counts exactly 100 on the memory store', async () => {
    const url = await serve(deferReads(new MemorySessionStore({ maxSessions: 100 })));

    const { statuses, final } = await burst([url], 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });

  it('counts exactly 100 on the sqlite store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const url = await serve(
      deferReads(new SqliteSessionStore({ path: join(dir, 'app.db'), maxSessions: 1000 })),
    );

    const { statuses, final } = await burst([url], 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });
});

// every store joins this list once it keeps the per-user index
const indexedStores: Array<[string, () => Promise<SessionStore>]> = [
  ['memory', async () => deferReads(new MemorySessionStore({ maxSessions: 100 }))],
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'indexed-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return deferReads(new SqliteSessionStore({ path: join(dir, 'app.db'), maxSessions: 100 }));
    },
  ],
];

/** Signs up at url; resolves to the logged-in session's cookie. */
async function signedUpCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/signup`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ann', password: 'correct horse battery staple' }),
  });
  if (res.status !== 201) throw new Error(`signup answered ${res.status}`);
  return cookieOf(res.headers) ?? '';
}

describe.each(indexedStores)(
  'GET /increment, 100 at once on one logged-in session, %s store',
  (_name, makeStore) => {
    it('counts exactly 100 and the index holds that session exactly once', async () => {
      const store = await makeStore();
      const url = await serve(store);
      const cookie = await signedUpCookie(url);

      const results = await Promise.all(
        Array.from({ length: 100 }, () => getJson(`${url}/increment`, cookie)),
      );

      const listed = await store.listByUser(1);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(listed).toHaveLength(1);
      expect(listed[0]?.data.count).toBe(100);
    });
  },
);

const hasRedis = redisAvailable('redis concurrency tests');

describe.skipIf(!hasRedis)('GET /increment, 100 at once with one cookie, on Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
    return () => redis.close();
  });

  const redisStore = () => connectedRedisStore(redis.url);
  const withRedisLock = (store: RedisSessionStore) =>
    serve(store, redisLock(testConfig(), store, silentLogger));

  it('loses updates without the lock (the problem this solves)', async () => {
    const url = await serve(await redisStore(), never);

    const { final } = await burst([url], 100);

    expect(final).toBeLessThan(100);
  });

  it('counts exactly 100 with the Redis lock', async () => {
    const url = await withRedisLock(await redisStore());

    const { statuses, final } = await burst([url], 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });

  it('counts exactly 100 split across two instances sharing one Redis', async () => {
    const urls = [await withRedisLock(await redisStore()), await withRedisLock(await redisStore())];

    const { statuses, final } = await burst(urls, 100);

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final).toBe(100);
  });
});
