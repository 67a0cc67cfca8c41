import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionStore, UserSession } from '../src/stores/types';
import { buildApp, sessionIdOf, testConfig } from './helper';
import { call } from './support/callback';
import { logIn, newSession } from './support/cookies';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';

/** One store under test, with its clock and back doors for writing raw (possibly corrupt) records and reading everything. */
interface Harness {
  store: SessionStore;
  now(): number;
  elapse(ms: number): Promise<void>;
  /** writes text as the record of sid, under storeKey(sid), as the store would */
  putRaw(sid: string, text: string, expires: number): Promise<void>;
  /** everything the store holds, keys and values, as one text to search */
  rawDump(): Promise<string>;
  /** removes the record of sid behind the store's back, as its cap or Redis's maxmemory evicts one */
  evictRaw(sid: string): Promise<void>;
  cleanup(): Promise<void>;
}

// what every harness builds its store with
const TTL_MS = 3_600_000; // idle lifetime, for a cookie without an expiry
const TOMBSTONE_MS = 1000; // short: Redis keeps real time, so the tests wait it out for real
const lifetimes = { ttlMs: TTL_MS, tombstoneMs: TOMBSTONE_MS };

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
  const store = new MemorySessionStore({ maxSessions: 1000, now: clock.now, ...lifetimes });
  // biome-ignore lint/suspicious/noExplicitAny: reaching into the private cache is the point of a back door
  const cache = (store as any).cache as Map<string, { json: string; expires: number }>;
  return {
    store,
    ...clock,
    putRaw: async (sid, json, expires) => void cache.set(storeKey(sid), { json, expires }),
    rawDump: async () => JSON.stringify([...cache.entries()]),
    evictRaw: async (sid) => void cache.delete(storeKey(sid)), // what the LRU's eviction does
    cleanup: () => store.close(),
  };
}

function sqliteHarness(): Harness {
  const clock = fakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'contract-'));
  const options = { path: join(dir, 'app.db'), maxSessions: 1000, now: clock.now, ...lifetimes };
  const store = new SqliteSessionStore(options);
  const insert = store.db.prepare('INSERT OR REPLACE INTO sessions (sid, data, expires) VALUES (?, ?, ?)');
  const evict = store.db.prepare('DELETE FROM sessions WHERE sid = ?');
  const tables = store.db.prepare<[], { name: string }>(
    "SELECT name FROM sqlite_schema WHERE type = 'table'",
  );
  return {
    store,
    ...clock,
    putRaw: async (sid, text, expires) => void insert.run(storeKey(sid), text, expires),
    rawDump: async () =>
      tables
        .all()
        .map(({ name }) => JSON.stringify(store.db.prepare(`SELECT * FROM "${name}"`).all()))
        .join('\n'),
    evictRaw: async (sid) => void evict.run(storeKey(sid)),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// how to read a whole key of each type, as text (not DUMP: its encoding may compress a string)
const READ_BY_TYPE: Record<string, string[]> = {
  string: ['GET'],
  set: ['SMEMBERS'],
  zset: ['ZRANGE', '0', '-1', 'WITHSCORES'],
  hash: ['HGETALL'],
  list: ['LRANGE', '0', '-1'],
};

let prefixes = 0;
async function redisHarness(): Promise<Harness> {
  const prefix = `contract${++prefixes}:`;
  const store = await connectedRedisStore(redis.url, prefix, lifetimes);
  return {
    store,
    now: Date.now,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), // Redis keeps real time
    putRaw: async (sid, text, expires) =>
      void (await store.client.set(prefix + storeKey(sid), text, {
        expiration: { type: 'PX', value: expires - Date.now() },
      })),
    rawDump: async () => {
      const out: unknown[] = [];
      for (const key of await store.client.keys('*')) {
        const read = READ_BY_TYPE[await store.client.type(key)] ?? ['GET'];
        out.push(key, await store.client.sendCommand([read[0] as string, key, ...read.slice(1)]));
      }
      return JSON.stringify(out);
    },
    evictRaw: async (sid) => void (await store.client.del(prefix + storeKey(sid))),
    cleanup: () => store.close(),
  };
}

const hasRedis = redisAvailable('redis contract tests');
const redis = useRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'], when: hasRedis });
const harnesses: Array<[string, () => Harness | Promise<Harness>]> = [
  ['memory', memoryHarness],
  ['sqlite', sqliteHarness],
  ...(hasRedis ? [['redis', redisHarness] as [string, () => Promise<Harness>]] : []),
];

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
/** A session ID as express-session makes them: 32 base64url characters, unique per test. */
const newSid = () => randomBytes(24).toString('base64url');
/** A session of userId (anonymous when undefined) whose cookie expires then (a browser-session cookie when null). */
const sessionOf = (userId: number | undefined, expires: number | null, count = 1): SessionData =>
  ({
    cookie: {
      originalMaxAge: null,
      expires: expires === null ? null : new Date(expires).toISOString(),
      httpOnly: true,
      path: '/',
    },
    count,
    ...(userId === undefined ? {} : { userId }),
  }) as unknown as SessionData;
const keysOf = (list: UserSession[]) => list.map((s) => s.key).sort();

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
    expect(Object.keys(all ?? {}).sort()).toEqual(['a', 'b', 'c'].map(storeKey).sort()); // keyed by hash
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
    expect(Object.keys(all ?? {})).toEqual([storeKey('good')]);
  });

  it('starts a fresh count through the app when the stored record is corrupt', async () => {
    const { app } = buildApp({ store: h.store });
    const cookie = await newSession(app);
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

  describe('per user', () => {
    const later = () => h.now() + 60_000;
    const put = (sid: string, session: SessionData) => call((cb) => h.store.set(sid, session, cb));
    const read = (sid: string) => call((cb) => h.store.get(sid, cb));

    it('stores no session ID in plain anywhere, only its hash', async () => {
      const [anonymous, user] = [newSid(), newSid()];
      await put(anonymous, sessionOf(undefined, later()));
      await put(user, sessionOf(7, later()));
      await call((cb) => h.store.touch?.(user, sessionOf(7, later() + 1000), cb));
      await h.store.listByUser(7);

      const dump = await h.rawDump();

      expect(dump).toContain(storeKey(user)); // the dump does see the store
      expect(dump).not.toContain(anonymous);
      expect(dump).not.toContain(user);
    });

    it('lists the live sessions of one user, each with its store key, data and expiry', async () => {
      const [a, b, other] = [newSid(), newSid(), newSid()];
      const expires = later();
      await put(a, sessionOf(7, expires, 1));
      await put(b, sessionOf(7, expires, 2));
      await put(other, sessionOf(8, expires, 3));

      const list = await h.store.listByUser(7);

      expect(keysOf(list)).toEqual([storeKey(a), storeKey(b)].sort());
      const first = list.find((s) => s.key === storeKey(a));
      expect(first?.data).toMatchObject({ userId: 7, count: 1 });
      expect(Math.abs((first?.expiresAt ?? 0) - expires)).toBeLessThan(1000); // Redis may round through its TTL
      expect(await h.store.listByUser(9)).toEqual([]);
    });

    it('lists a session under its latest user only, and under none once it names no user', async () => {
      const sid = newSid();
      await put(sid, sessionOf(7, later()));
      await put(sid, sessionOf(8, later()));
      const moved = [keysOf(await h.store.listByUser(7)), keysOf(await h.store.listByUser(8))];

      await put(sid, sessionOf(undefined, later()));

      expect(moved).toEqual([[], [storeKey(sid)]]);
      expect(await h.store.listByUser(8)).toEqual([]);
    });

    it('never lists or ends anonymous sessions', async () => {
      const [anonymous, user] = [newSid(), newSid()];
      await put(anonymous, sessionOf(undefined, later(), 5));
      await put(user, sessionOf(7, later()));

      const list = await h.store.listByUser(7);
      const ended = await h.store.destroyByUser(7);

      expect(keysOf(list)).toEqual([storeKey(user)]);
      expect(ended).toBe(1);
      expect(await read(anonymous)).toMatchObject({ count: 5 });
    });

    it("ends every session of a user and nobody else's, and says how many", async () => {
      const [a, b, other] = [newSid(), newSid(), newSid()];
      await put(a, sessionOf(7, later()));
      await put(b, sessionOf(7, later()));
      await put(other, sessionOf(8, later()));

      const ended = await h.store.destroyByUser(7);

      expect(ended).toBe(2);
      expect(await read(a)).toBeFalsy();
      expect(await read(b)).toBeFalsy();
      expect(await h.store.listByUser(7)).toEqual([]);
      expect(await read(other)).toMatchObject({ userId: 8 });
    });

    it('ends every session of a user but the one named by its plain ID in except', async () => {
      const [current, a, b] = [newSid(), newSid(), newSid()];
      for (const sid of [current, a, b]) await put(sid, sessionOf(7, later()));

      const ended = await h.store.destroyByUser(7, { except: current });

      expect(ended).toBe(2);
      expect(keysOf(await h.store.listByUser(7))).toEqual([storeKey(current)]);
      expect(await read(current)).toMatchObject({ userId: 7 });
      expect(await read(a)).toBeFalsy();
    });

    it('ends one session by its store key and says whether it existed', async () => {
      const [a, b] = [newSid(), newSid()];
      await put(a, sessionOf(7, later()));
      await put(b, sessionOf(7, later()));

      const results = [
        await h.store.destroyByKey(storeKey(a)),
        await h.store.destroyByKey(storeKey(a)), // already ended
        await h.store.destroyByKey(storeKey(newSid())), // never existed
      ];

      expect(results).toEqual([true, false, false]);
      expect(await read(a)).toBeFalsy();
      expect(keysOf(await h.store.listByUser(7))).toEqual([storeKey(b)]);
    });

    it("drops an expired session from its user's list", async () => {
      const [short, long] = [newSid(), newSid()];
      await put(short, sessionOf(7, h.now() + 1000));
      await put(long, sessionOf(7, later()));

      await h.elapse(1200);

      expect(keysOf(await h.store.listByUser(7))).toEqual([storeKey(long)]);
      expect(await h.store.destroyByKey(storeKey(short))).toBe(false);
    });

    it("drops an evicted session from its user's list and count", async () => {
      const [evicted, kept] = [newSid(), newSid()];
      await put(evicted, sessionOf(7, later()));
      await put(kept, sessionOf(7, later()));

      await h.evictRaw(evicted);

      expect(keysOf(await h.store.listByUser(7))).toEqual([storeKey(kept)]);
      expect(await h.store.destroyByUser(7)).toBe(1);
    });

    it.each([
      ['destroyByKey', (sid: string) => h.store.destroyByKey(storeKey(sid))],
      ['destroyByUser', () => h.store.destroyByUser(7)],
    ])('drops late writes to a session ended by %s until its tombstone passes', async (_how, end) => {
      const sid = newSid();
      await put(sid, sessionOf(7, later(), 1));
      await end(sid);

      // an in-flight request of that session saving on its way out: dropped, without an error
      await put(sid, sessionOf(7, later(), 2));
      await call((cb) => h.store.touch?.(sid, sessionOf(7, later(), 2), cb));
      const during = { session: await read(sid), listed: await h.store.listByUser(7) };
      await h.elapse(TOMBSTONE_MS + 200);
      await put(sid, sessionOf(7, later(), 3));

      expect(during.session).toBeFalsy();
      expect(during.listed).toEqual([]);
      expect(await read(sid)).toMatchObject({ count: 3 });
    });

    it('keeps a user who logs in once too often at MAX_SESSIONS_PER_USER, the newest login among them', async () => {
      const { app } = buildApp({ store: h.store, config: testConfig({ MAX_SESSIONS_PER_USER: '2' }) });
      const credentials = { username: 'ann', password: 'correct horse battery staple' };
      await request(app).post('/signup').send(credentials).expect(201);
      await request(app).post('/login').send(credentials).expect(200);

      const newest = await logIn(app, 'ann');

      const keys = keysOf(await h.store.listByUser(1));
      expect(keys).toHaveLength(2);
      expect(keys).toContain(storeKey(sessionIdOf(newest)));
    });

    it('gives a session whose cookie has no expiry the idle lifetime from now', async () => {
      const before = h.now();
      await put(newSid(), sessionOf(7, null));
      const after = h.now();

      const [listed] = await h.store.listByUser(7);

      expect(listed?.expiresAt).toBeGreaterThanOrEqual(before + TTL_MS - 1000); // Redis rounds through its TTL
      expect(listed?.expiresAt).toBeLessThanOrEqual(after + TTL_MS + 1000);
    });
  });
});
