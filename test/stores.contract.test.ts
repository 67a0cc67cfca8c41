import type { SessionData } from 'express-session';
import request from 'supertest';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionBackend } from '../src/stores/types';
import { buildApp, cookieFrom, sessionIdOf } from './helper';
import { PASSWORD } from './support/accounts';
import { call } from './support/callback';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';
import { tempDatabase } from './support/stores';

/** One backend under test, and a back door that writes a raw value under a store key. */
interface Harness {
  backend: SessionBackend;
  putRaw(key: string, text: string): Promise<void>;
}
type Options = { maxSessions?: number; ttlMs?: number };

const TTL_MS = 3_600_000; // idle lifetime, for a cookie without an expiry

function memoryHarness({ maxSessions = 1000, ttlMs = TTL_MS }: Options): Harness {
  const backend = new MemorySessionStore({ maxSessions, ttlMs });
  // biome-ignore lint/suspicious/noExplicitAny: the private LRU cache is the back door
  const cache = (backend as any).cache as Map<string, string>;
  return { backend, putRaw: async (key, text) => void cache.set(key, text) };
}

function sqliteHarness({ maxSessions = 1000, ttlMs = TTL_MS }: Options): Harness {
  const { db } = tempDatabase('contract-');
  const backend = new SqliteSessionStore({ db, maxSessions, ttlMs });
  onTestFinished(() => backend.close());
  const insert = db.prepare(
    'INSERT OR REPLACE INTO sessions (sid, data, expires, expires_minute) VALUES (?, ?, ?, ?)',
  );
  const expires = () => Date.now() + 60_000;
  return {
    backend,
    putRaw: async (key, text) => void insert.run(key, text, expires(), Math.floor(expires() / 60_000)),
  };
}

let prefixes = 0;
async function redisHarness({ maxSessions = 1000, ttlMs = TTL_MS }: Options): Promise<Harness> {
  const prefix = `contract${++prefixes}:`; // one Redis for the file, a prefix per test
  const backend = await connectedRedisStore(redis.url, prefix, { maxSessions, ttlMs });
  onTestFinished(() => backend.close());
  return {
    backend,
    putRaw: async (key, text) =>
      void (await backend.redis.set(prefix + key, text, { expiration: { type: 'PX', value: 60_000 } })),
  };
}

const hasRedis = redisAvailable('redis contract tests');
const redis = useRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'], when: hasRedis });
const harnesses: Array<[string, (options: Options) => Harness | Promise<Harness>]> = [
  ['memory', memoryHarness],
  ['sqlite', sqliteHarness],
  ...(hasRedis ? [['redis', redisHarness] as [string, (options: Options) => Promise<Harness>]] : []),
];

/** A session whose cookie expires then (a browser-session cookie when null). */
const sessionUntil = (expires: number | null, count = 1): SessionData =>
  ({
    cookie: {
      originalMaxAge: null,
      expires: expires === null ? null : new Date(expires).toISOString(),
      httpOnly: true,
      path: '/',
    },
    count,
  }) as unknown as SessionData;
const asStored = (session: SessionData) => JSON.parse(JSON.stringify(session));
const key = (name: string) => storeKey(name); // what HashedKeyStore hands a backend
const later = (ms = 60_000) => Date.now() + ms;
/** Redis and lru-cache keep real time: no fake clock reaches them. */
const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

const get = (b: SessionBackend, k: string) => call<SessionData | null>((cb) => b.get(k, cb));
const put = (b: SessionBackend, k: string, s: SessionData) => call((cb) => b.set(k, s, cb));
const lengthOf = (b: SessionBackend) =>
  call<number>((cb) => (b.length ? b.length(cb) : cb(new Error('no length'))));
const expiryOf = async (b: SessionBackend, k: string) =>
  (await b.recent(1000)).sessions.find((s) => s.key === k)?.expiresAt;

describe.each(harnesses)('%s session backend: the express-session Store contract', (_name, harness) => {
  it('returns what it stored, and the latest version after an update', async () => {
    const { backend } = await harness({});
    const [first, second] = [sessionUntil(later(), 1), sessionUntil(later(), 2)];

    await put(backend, key('a'), first);
    const stored = await get(backend, key('a'));
    await put(backend, key('a'), second);

    expect(stored).toEqual(asStored(first));
    expect(await get(backend, key('a'))).toEqual(asStored(second));
  });

  it('forgets a destroyed session, and destroys an unknown one without error', async () => {
    const { backend } = await harness({});
    await put(backend, key('a'), sessionUntil(later()));

    await call((cb) => backend.destroy(key('a'), cb));
    await call((cb) => backend.destroy(key('never-existed'), cb));

    expect(await get(backend, key('a'))).toBeNull();
    expect(await get(backend, key('never-existed'))).toBeNull();
  });

  it("keeps a session until its cookie's expiry, and one without an expiry for the idle lifetime", async () => {
    const { backend } = await harness({});
    const expires = later(600_000);
    await put(backend, key('dated'), sessionUntil(expires));
    const before = Date.now();
    await put(backend, key('browser'), sessionUntil(null));

    const dated = await expiryOf(backend, key('dated'));
    const browser = await expiryOf(backend, key('browser'));

    expect(Math.abs((dated ?? 0) - expires)).toBeLessThan(1500); // Redis keeps whole seconds
    expect(browser).toBeGreaterThanOrEqual(before + TTL_MS - 1500);
    expect(browser).toBeLessThanOrEqual(Date.now() + TTL_MS + 1500);
  });

  it('moves the expiry on touch, and brings back no session that was destroyed', async () => {
    const { backend } = await harness({});
    await put(backend, key('a'), sessionUntil(later(60_000)));
    await put(backend, key('ended'), sessionUntil(later(60_000)));
    await call((cb) => backend.destroy(key('ended'), cb));
    const moved = later(600_000);

    await call((cb) => backend.touch?.(key('a'), sessionUntil(moved), cb));
    await call((cb) => backend.touch?.(key('ended'), sessionUntil(moved), cb));

    expect(Math.abs(((await expiryOf(backend, key('a'))) ?? 0) - moved)).toBeLessThan(1500);
    expect(await get(backend, key('a'))).toMatchObject({ count: 1 });
    expect(await get(backend, key('ended'))).toBeNull();
  });

  it('reads a session as none once its expiry has passed, and no longer counts it', async () => {
    const { backend } = await harness({});
    const expires = later(1000); // Redis expires whole seconds
    await put(backend, key('short'), sessionUntil(expires));
    await put(backend, key('long'), sessionUntil(later()));
    const before = await get(backend, key('short'));

    await until(expires + 100);

    expect(before).toMatchObject({ count: 1 });
    expect(await get(backend, key('short'))).toBeNull();
    expect(await lengthOf(backend)).toBe(1);
  });

  it('counts its sessions, and clear removes them all, leaving the whole cap to new ones', async () => {
    const { backend } = await harness({ maxSessions: 3 });
    for (const name of ['a', 'b', 'c']) await put(backend, key(name), sessionUntil(later(600_000)));

    const length = await lengthOf(backend);
    await call((cb) => (backend.clear ? backend.clear(cb) : cb(new Error('no clear'))));
    const cleared = await lengthOf(backend);
    for (const name of ['d', 'e', 'f']) await put(backend, key(name), sessionUntil(later()));

    expect([length, cleared]).toEqual([3, 0]);
    expect(await get(backend, key('a'))).toBeNull();
    const kept = await Promise.all(['d', 'e', 'f'].map((name) => get(backend, key(name))));
    expect(kept.every((s) => s !== null)).toBe(true); // the cleared ones hold no place under the cap
    expect((await backend.recent(10)).total).toBe(3);
  });

  it('holds at most maxSessions, a new session ending the least recently active', async () => {
    const { backend } = await harness({ maxSessions: 3 });

    for (let i = 0; i < 5; i++) await put(backend, key(`s${i}`), sessionUntil(later(60_000 + i * 1000), i));

    const kept = await Promise.all([0, 1, 2, 3, 4].map((i) => get(backend, key(`s${i}`))));
    expect(await lengthOf(backend)).toBe(3);
    expect(kept.map((s) => s?.count ?? null)).toEqual([null, null, 2, 3, 4]);
  });

  it('never ends the new session itself, even when it expires before those it would end', async () => {
    const { backend } = await harness({ maxSessions: 3 });
    for (const name of ['a', 'b', 'c']) await put(backend, key(name), sessionUntil(later(600_000)));

    // a shorter lifetime than the others: a lowered SESSION_MAX_AGE, or an instance whose clock is behind
    await put(backend, key('new'), sessionUntil(later(60_000)));

    const kept = await Promise.all(['a', 'b', 'c'].map((name) => get(backend, key(name))));
    expect(await get(backend, key('new'))).toMatchObject({ count: 1 });
    expect(kept.filter((s) => s !== null)).toHaveLength(2);
    expect(await lengthOf(backend)).toBe(3);
  });

  it('lists the most recently active sessions first, at most limit, with the total', async () => {
    const { backend } = await harness({});
    for (const [i, name] of ['a', 'b', 'c'].entries())
      await put(backend, key(name), sessionUntil(later(60_000 + i * 1000)));
    await put(backend, key('a'), sessionUntil(later(63_000), 2)); // a visit: a rolling cookie's later expiry

    const { sessions, total } = await backend.recent(2);

    expect(sessions.map((s) => s.key)).toEqual([key('a'), key('c')]);
    expect(sessions[0]?.data).toMatchObject({ count: 2 });
    expect(total).toBe(3);
  });
});

describe.each(harnesses)('HashedKeyStore over the %s backend', (_name, harness) => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Records every key and saved value the backend is handed. */
  function recordCalls(backend: SessionBackend) {
    const keys: string[] = [];
    const saved: string[] = [];
    const b = backend as unknown as Record<string, (key: string, ...rest: unknown[]) => unknown>;
    for (const method of ['get', 'set', 'touch', 'destroy']) {
      const original = b[method]?.bind(backend);
      b[method] = (k, ...rest) => {
        keys.push(k);
        if (method === 'set') saved.push(JSON.stringify(rest[0]));
        return original?.(k, ...rest);
      };
    }
    return { keys, saved };
  }

  it('hands the backend only the SHA-256 of each session ID, never the ID', async () => {
    const { backend } = await harness({});
    const { keys, saved } = recordCalls(backend);
    const { app } = buildApp({ backend });

    const visitor = cookieFrom(await request(app).get('/increment').expect(200));
    const user = cookieFrom(
      await request(app)
        .post('/signup')
        .set('Cookie', visitor)
        .send({ username: 'ann', password: PASSWORD })
        .expect(201),
    );
    await request(app).get('/increment').set('Cookie', user).expect(200);
    const other = cookieFrom(
      await request(app).post('/login').send({ username: 'ann', password: PASSWORD }).expect(200),
    );
    await request(app).post('/logout').set('Cookie', other).expect(200);
    await request(app).get('/clear').set('Cookie', user).expect(200);

    const ids = [visitor, user, other].map(sessionIdOf);
    expect(keys).toEqual(expect.arrayContaining(ids.map(storeKey))); // each session reached the backend, hashed
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    for (const id of ids) expect(keys).not.toContain(id);
    for (const id of ids) expect(saved.join('\n')).not.toContain(id);
  });

  it('reads a stored value that is not a session as no session, and the app starts a fresh count', async () => {
    const { backend, putRaw } = await harness({});
    const store = new HashedKeyStore(backend, 1000);
    const { app } = buildApp({ backend });
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));
    const bad = ['{"cookie": {', '{"count": 5}', '[1, 2]', '"a string"'];
    for (const [i, text] of bad.entries()) await putRaw(storeKey(`bad${i}`), text);
    await putRaw(storeKey(sessionIdOf(cookie)), 'not json at all');

    const reads = await Promise.all(bad.map((_, i) => call((cb) => store.get(`bad${i}`, cb))));
    const res = await request(app).get('/increment').set('Cookie', cookie);

    expect(reads).toEqual([null, null, null, null]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 1 });
  });

  it("skips the touch right after the same request's save, and touches a session only read", async () => {
    const { backend } = await harness({});
    const touched: string[] = [];
    const touch = backend.touch?.bind(backend);
    backend.touch = (k, s, cb) => {
      touched.push(k);
      touch?.(k, s, cb);
    };
    const { app } = buildApp({ backend });
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    await request(app).get('/increment').set('Cookie', cookie).expect(200); // saves, then express-session touches
    const afterSave = touched.length;
    await request(app).get('/').set('Cookie', cookie).expect(200); // reads only: the touch renews it

    expect(afterSave).toBe(0);
    expect(touched).toEqual([storeKey(sessionIdOf(cookie))]);
  });

  it('fails with StoreUnavailableError at timeoutMs when the backend never answers', async () => {
    const { backend } = await harness({});
    backend.get = () => {}; // a backend that went silent
    const store = new HashedKeyStore(backend, 200);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let outcome: unknown;

    store.get('a', (err) => {
      outcome = err ?? 'answered';
    });
    await vi.advanceTimersByTimeAsync(199);
    const before = outcome;
    await vi.advanceTimersByTimeAsync(1);

    expect(before).toBeUndefined();
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
  });

  it("does not pass on the backend's disconnect event, which would leave requests without a session", async () => {
    const { backend } = await harness({});
    const { app, store } = buildApp({ backend });
    const heard: string[] = [];
    store.on('disconnect', () => heard.push('disconnect'));
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    backend.emit('disconnect');
    const res = await request(app).get('/increment').set('Cookie', cookie);

    expect(heard).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 2 });
  });
});
