import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createBackends } from '../src/backends';
import { MemorySessionStore } from '../src/stores/memory';
import { Tombstones } from '../src/stores/tombstones';
import { buildApp, silentLogger, testConfig } from './helper';
import { call } from './support/callback';
import { newSession } from './support/cookies';

const lengthOf = async (store: MemorySessionStore) => (await call<number>((cb) => store.length(cb))) ?? -1;

describe('MemorySessionStore', () => {
  it('never holds more sessions than its cap when cookieless clients flood /increment', async () => {
    const store = new MemorySessionStore({ maxSessions: 5 });
    const { app } = buildApp({ store });
    const sizes: number[] = [];

    for (let i = 0; i < 12; i++) {
      await request(app).get('/increment').expect(200);
      sizes.push(await lengthOf(store));
    }

    await store.close();
    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.at(-1)).toBe(5);
  });

  it('evicts the least recently used session, so an active one keeps its count', async () => {
    const store = new MemorySessionStore({ maxSessions: 3 });
    const { app } = buildApp({ store });
    const cookie = await newSession(app);

    for (let i = 0; i < 6; i++) {
      await request(app).get('/increment').set('Cookie', cookie).expect(200); // keeps it recent
      await request(app).get('/increment').expect(200);
    }
    const res = await request(app).get('/increment').set('Cookie', cookie).expect(200);

    await store.close();
    expect(res.body.count).toBe(8);
  });
});

const USER = 7;
const sessionOf = (expires: number, userId?: number): SessionData =>
  ({
    cookie: { originalMaxAge: null, expires: new Date(expires).toISOString(), path: '/' },
    ...(userId === undefined ? {} : { userId }),
  }) as unknown as SessionData;

describe('MemorySessionStore per-user index', () => {
  it('drops a session the cap evicts from its user, so the index holds no dead keys', async () => {
    const store = new MemorySessionStore({ maxSessions: 2 });
    const later = Date.now() + 60_000;
    await call((cb) => store.set('user', sessionOf(later, USER), cb));

    await call((cb) => store.set('anon1', sessionOf(later), cb));
    await call((cb) => store.set('anon2', sessionOf(later), cb)); // evicts 'user'

    await store.close();
    expect(store.indexedUsers).toBe(0);
    expect(await store.listByUser(USER)).toEqual([]);
  });

  it('drops an expired session from its user when the timer prunes', async () => {
    let now = Date.now();
    const store = new MemorySessionStore({ maxSessions: 10, now: () => now });
    await call((cb) => store.set('user', sessionOf(now + 1000, USER), cb));

    now += 2000;
    const pruned = store.prune();

    await store.close();
    expect(pruned).toBe(1);
    expect(store.indexedUsers).toBe(0);
  });

  it('empties the index when the store is cleared', async () => {
    const store = new MemorySessionStore({ maxSessions: 10 });
    await call((cb) => store.set('user', sessionOf(Date.now() + 60_000, USER), cb));

    await call((cb) => store.clear(cb));

    await store.close();
    expect(store.indexedUsers).toBe(0);
  });

  it('indexes no anonymous session', async () => {
    const store = new MemorySessionStore({ maxSessions: 10 });

    await call((cb) => store.set('anon', sessionOf(Date.now() + 60_000), cb));

    await store.close();
    expect(store.indexedUsers).toBe(0);
  });

  it('keeps one entry per session however often it is saved', async () => {
    const store = new MemorySessionStore({ maxSessions: 10 });
    for (let i = 0; i < 5; i++)
      await call((cb) => store.set('user', sessionOf(Date.now() + 60_000, USER), cb));

    const list = await store.listByUser(USER);

    await store.close();
    expect(list).toHaveLength(1);
    expect(store.indexedUsers).toBe(1);
  });
});

describe('createBackends for SESSION_STORE=memory', () => {
  it('gives a cookie without an expiry the idle lifetime of SESSION_MAX_AGE_SECONDS', async () => {
    const backends = await createBackends(
      testConfig({ SESSION_MAX_AGE_SECONDS: '120', SQLITE_PATH: ':memory:' }),
      silentLogger,
    );
    const { store } = backends;
    const before = Date.now();
    const session = { cookie: { originalMaxAge: null, expires: null, path: '/' }, userId: USER };

    await call((cb) => store.set('user', session as unknown as SessionData, cb));

    const [listed] = await store.listByUser(USER);
    await backends.close();
    expect(listed?.expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(listed?.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
  });
});

describe('Tombstones', () => {
  it('forgets the oldest past its bound and each one once its time has passed', () => {
    let now = 0;
    const tombstones = new Tombstones(1000, () => now, 2);

    tombstones.add('a');
    tombstones.add('b');
    tombstones.add('c'); // past the bound: 'a' goes
    const held = ['a', 'b', 'c'].map((key) => tombstones.has(key));
    now += 1000;

    expect(held).toEqual([false, true, true]);
    expect(tombstones.has('b')).toBe(false);
  });
});
