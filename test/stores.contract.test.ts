import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionStore } from '../src/stores/types';
import { buildApp, sessionCookie, sessionIdOf } from './helper';
import { call } from './support/callback';
import { connectedRedisStore, type RedisServer, redisAvailable, startRedis } from './support/redis';

/** One store under test, with its clock and a back door for writing raw (possibly corrupt) records. */
interface Harness {
  store: SessionStore;
  now(): number;
  elapse(ms: number): Promise<void>;
  putRaw(sid: string, text: string, expires: number): Promise<void>;
  /** the key all() lists a session under: its store key where the store hashes IDs */
  keyOf(sid: string): string;
  cleanup(): Promise<void>;
}

function fakeClock() {
  let now = Date.now(); // near real time, since express-session's cookies use the real clock
  return {
    now: () => now,
    elapse: async (ms: number) => {
      now += ms;
    },
  };
}

function memoryHarness(): Harness {
  const clock = fakeClock();
  const store = new MemorySessionStore({ maxSessions: 1000, now: clock.now });
  // biome-ignore lint/suspicious/noExplicitAny: reaching into the private cache is the point of a back door
  const cache = (store as any).cache as Map<string, { json: string; expires: number }>;
  return {
    store,
    ...clock,
    putRaw: async (sid, json, expires) => void cache.set(sid, { json, expires }),
    keyOf: (sid) => sid,
    cleanup: () => store.close(),
  };
}

function sqliteHarness(): Harness {
  const clock = fakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'contract-'));
  const store = new SqliteSessionStore({ path: join(dir, 'app.db'), maxSessions: 1000, now: clock.now });
  const insert = store.db.prepare('INSERT OR REPLACE INTO sessions (sid, data, expires) VALUES (?, ?, ?)');
  return {
    store,
    ...clock,
    putRaw: async (sid, text, expires) => void insert.run(sid, text, expires),
    keyOf: (sid) => sid,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let redis: RedisServer | undefined;
let prefixes = 0;
async function redisHarness(): Promise<Harness> {
  if (!redis) throw new Error('redis-server not started');
  const prefix = `contract${++prefixes}:`;
  const store = await connectedRedisStore(redis.url, prefix);
  return {
    store,
    now: Date.now,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), // Redis keeps real time
    putRaw: async (sid, text, expires) =>
      void (await store.client.set(prefix + storeKey(sid), text, {
        expiration: { type: 'PX', value: expires - Date.now() },
      })),
    keyOf: storeKey,
    cleanup: () => store.close(),
  };
}

const hasRedis = redisAvailable('redis contract tests');
const harnesses: Array<[string, () => Harness | Promise<Harness>]> = [
  ['memory', memoryHarness],
  ['sqlite', sqliteHarness],
  ...(hasRedis ? [['redis', redisHarness] as [string, () => Promise<Harness>]] : []),
];

beforeAll(async () => {
  if (hasRedis) redis = await startRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction']);
});
afterAll(async () => {
  await redis?.close();
});

const sessionUntil = (expires: number, count = 1): SessionData =>
  ({
    cookie: { originalMaxAge: null, expires: new Date(expires).toISOString(), httpOnly: true, path: '/' },
    count,
  }) as unknown as SessionData;
const allOf = (store: SessionStore) =>
  call<Record<string, SessionData>>((cb) =>
    store.all?.((err, all) => cb(err, all as Record<string, SessionData>)),
  );
const asStored = (session: SessionData) => JSON.parse(JSON.stringify(session));

describe.each(harnesses)('%s session store', (_name, makeHarness) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('returns what it stored, and the latest version after an update', async () => {
    const first = sessionUntil(h.now() + 60_000, 1);
    const second = sessionUntil(h.now() + 60_000, 2);

    await call((cb) => h.store.set('a', first, cb));
    const stored = await call((cb) => h.store.get('a', cb));
    await call((cb) => h.store.set('a', second, cb));
    const updated = await call((cb) => h.store.get('a', cb));

    expect(stored).toEqual(asStored(first));
    expect(updated).toEqual(asStored(second));
  });

  it('forgets a destroyed session and destroys an unknown one without error', async () => {
    await call((cb) => h.store.set('a', sessionUntil(h.now() + 60_000), cb));

    await call((cb) => h.store.destroy('a', cb));
    await call((cb) => h.store.destroy('never-existed', cb));

    expect(await call((cb) => h.store.get('a', cb))).toBeFalsy();
  });

  it('keeps a touched session past its original expiry', async () => {
    await call((cb) => h.store.set('a', sessionUntil(h.now() + 1000), cb));

    await call((cb) => h.store.touch?.('a', sessionUntil(h.now() + 60_000), cb));
    await h.elapse(1200);

    expect(await call((cb) => h.store.get('a', cb))).toMatchObject({ count: 1 });
  });

  it('skips the touch express-session sends right after the same request saved the session', async () => {
    const saved = sessionUntil(h.now() + 1000);
    await call((cb) => h.store.set('a', saved, cb));
    saved.cookie.expires = new Date(h.now() + 60_000); // what express-session's touch does to the object

    await call((cb) => h.store.touch?.('a', saved, cb)); // the same object: skipped
    await h.elapse(1200);

    expect(await call((cb) => h.store.get('a', cb))).toBeFalsy(); // still the expiry the save wrote
  });

  it('never returns an expired session from get, all or length', async () => {
    await call((cb) => h.store.set('short', sessionUntil(h.now() + 1000), cb));
    await call((cb) => h.store.set('past', sessionUntil(h.now() - 1000), cb));

    await h.elapse(1200);

    expect(await call((cb) => h.store.get('short', cb))).toBeFalsy();
    expect(await call((cb) => h.store.get('past', cb))).toBeFalsy();
    expect(await call((cb) => h.store.all?.(cb))).toEqual({});
    expect(await call((cb) => h.store.length?.(cb))).toBe(0);
  });

  it('counts, lists and clears every session', async () => {
    for (const sid of ['a', 'b', 'c'])
      await call((cb) => h.store.set(sid, sessionUntil(h.now() + 60_000), cb));

    const length = await call((cb) => h.store.length?.(cb));
    const all = await allOf(h.store);
    await call((cb) => h.store.clear?.(cb));

    expect(length).toBe(3);
    expect(Object.keys(all ?? {}).sort()).toEqual(['a', 'b', 'c'].map(h.keyOf).sort());
    expect(await call((cb) => h.store.length?.(cb))).toBe(0);
  });

  it('reads bad JSON or a record without a cookie as no session, and skips them in all', async () => {
    const later = h.now() + 60_000;
    await h.putRaw('bad-json', '{"cookie": {', later);
    await h.putRaw('no-cookie', '{"count": 5}', later);
    await h.putRaw('not-object', '[1, 2]', later);
    await call((cb) => h.store.set('good', sessionUntil(later), cb));

    const reads = await Promise.all(
      ['bad-json', 'no-cookie', 'not-object'].map((sid) => call((cb) => h.store.get(sid, cb))),
    );
    const all = await allOf(h.store);

    expect(reads.every((r) => !r)).toBe(true);
    expect(Object.keys(all ?? {})).toEqual([h.keyOf('good')]);
  });

  it('starts a fresh count through the app when the stored record is corrupt', async () => {
    const { app } = buildApp({ store: h.store });
    const cookie = sessionCookie(await request(app).get('/increment').expect(200)) ?? '';
    await h.putRaw(sessionIdOf(cookie), 'not json at all', Date.now() + 60_000);

    const res = await request(app).get('/increment').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 1 });
  });

  it('holds 500 sessions and returns each one', async () => {
    const sids = Array.from({ length: 500 }, (_, i) => `s${i}`);

    await Promise.all(
      sids.map((sid, i) => call((cb) => h.store.set(sid, sessionUntil(h.now() + 60_000, i), cb))),
    );

    const all = await allOf(h.store);
    expect(await call((cb) => h.store.length?.(cb))).toBe(500);
    expect(Object.keys(all ?? {})).toHaveLength(500);
    expect(await call((cb) => h.store.get('s499', cb))).toMatchObject({ count: 499 });
  });

  it('answers 503 and stores nothing when /increment cannot save', async () => {
    const failing: SessionStore = Object.create(h.store);
    failing.set = (_sid, _session, cb) => cb?.(new StoreUnavailableError('test: save failed'));
    const { app } = buildApp({ store: failing });

    const res = await request(app).get('/increment');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'Session store unavailable' });
    expect(await call((cb) => h.store.length?.(cb))).toBe(0);
  });
});
