import type { Express } from 'express';
import type { SessionData } from 'express-session';
import request, { type Response } from 'supertest';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionBackend } from '../src/stores/types';
import { buildApp, cookieFrom, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';
import { sessionTtlMs } from './support/redis-keys';
import { tempDatabase } from './support/stores';

const LIFETIME_MS = 60_000;
const config = testConfig({ SESSION_MAX_AGE_SECONDS: String(LIFETIME_MS / 1000) });

/**
 * Every route that saves the session before it answers; each visit sends the cookie and checks the status.
 * Logins ask to be kept signed in: a persistent cookie, whose Expires the stored expiry must match.
 */
const savingRoutes: Record<string, (app: Express, cookie: string, n: number) => Promise<Response>> = {
  'GET /increment': (app, cookie) => request(app).get('/increment').set('Cookie', cookie).expect(200),
  'POST /login': (app, cookie) =>
    request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'regular', password: PASSWORD, remember: true })
      .expect(200),
  'POST /signup': (app, cookie, n) =>
    request(app)
      .post('/signup')
      .set('Cookie', cookie)
      .send({ username: `newcomer${n}`, password: PASSWORD, remember: true })
      .expect(201),
};

/** The expiry (ms since epoch) of the session cookie a response set. */
function cookieExpiry(res: Response): number {
  const header = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('sid='));
  return Date.parse(/Expires=([^;]+)/.exec(header ?? '')?.[1] ?? '');
}

/** An app on the store, with a user for the logins, and a session whose count is 1. */
async function startVisitor(backend: SessionBackend) {
  const { app } = buildApp({ config, backend });
  await request(app).post('/signup').send({ username: 'regular', password: PASSWORD }).expect(201);
  const cookie = cookieFrom(await request(app).get('/increment').expect(200));
  return { app, cookie };
}

/**
 * Date and performance.now() (the memory store's LRU keeps time by it) moved together by the test:
 * express-session stamps cookies with Date, the stores expire by either.
 */
function fakeClock() {
  vi.useFakeTimers({ toFake: ['Date'] });
  const [startDate, startPerf] = [Date.now(), performance.now()];
  vi.spyOn(performance, 'now').mockImplementation(() => startPerf + (Date.now() - startDate));
}

const countOf = async (app: Express, cookie: string) =>
  (await request(app).get('/increment').set('Cookie', cookie).expect(200)).body.count as number;

const inProcessStores: Record<string, () => SessionBackend> = {
  memory: () => new MemorySessionStore({ maxSessions: 1000, ttlMs: LIFETIME_MS }),
  sqlite: () => {
    const store = new SqliteSessionStore({
      db: tempDatabase('idle-').db,
      maxSessions: 1000,
      ttlMs: LIFETIME_MS,
    });
    onTestFinished(() => store.close());
    return store;
  },
};

describe.each(Object.keys(inProcessStores))('idle renewal on the %s store', (storeName) => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  describe.each(Object.keys(savingRoutes))('%s', (route) => {
    const visit = savingRoutes[route] as (typeof savingRoutes)[string];

    it('keeps a session visited every three quarters of the idle lifetime', async () => {
      fakeClock();
      const { app, cookie: first } = await startVisitor(
        (inProcessStores[storeName] as () => SessionBackend)(),
      );
      let cookie = first;
      const increments = route === 'GET /increment' ? 4 : 0;

      for (let n = 0; n < 4; n++) {
        vi.advanceTimersByTime((LIFETIME_MS * 3) / 4);
        cookie = cookieFrom(await visit(app, cookie, n));
      }
      vi.advanceTimersByTime((LIFETIME_MS * 3) / 4);

      expect(await countOf(app, cookie)).toBe(1 + increments + 1);
    });

    it('stores the expiry the cookie of its answer carries', async () => {
      fakeClock();
      const store = (inProcessStores[storeName] as () => SessionBackend)();
      const { app, cookie: first } = await startVisitor(store);
      vi.advanceTimersByTime(LIFETIME_MS / 2);

      const res = await visit(app, first, 0);
      const stored = await new Promise<SessionData | null | undefined>((resolve, reject) =>
        store.get(storeKey(sessionIdOf(cookieFrom(res))), (err, session) =>
          err ? reject(err) : resolve(session),
        ),
      );

      // the header has whole seconds
      const storedSeconds = Math.floor(new Date(stored?.cookie.expires ?? 0).getTime() / 1000);
      expect(storedSeconds * 1000).toBe(cookieExpiry(res));
      expect(cookieExpiry(res)).toBeGreaterThan(Date.now() + LIFETIME_MS - 1000);
    });

    it('ends a session left alone for the idle lifetime after its last visit', async () => {
      fakeClock();
      const { app, cookie: first } = await startVisitor(
        (inProcessStores[storeName] as () => SessionBackend)(),
      );
      vi.advanceTimersByTime(LIFETIME_MS / 2);
      const cookie = cookieFrom(await visit(app, first, 0));

      vi.advanceTimersByTime(LIFETIME_MS + 1000);

      expect(await countOf(app, cookie)).toBe(1);
    });
  });
});

// A guard for performance work on express-session's touch: skipping it must never stop a visit
// that only reads the session from renewing the idle timeout.
describe('GET / with a session', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('renews the idle timeout of a session it only reads', async () => {
    fakeClock();
    const { app, cookie: first } = await startVisitor(inProcessStores.memory?.() as SessionBackend);
    let cookie = first;

    for (let n = 0; n < 4; n++) {
      vi.advanceTimersByTime((LIFETIME_MS * 3) / 4);
      cookie = cookieFrom(await request(app).get('/').set('Cookie', cookie).expect(200));
    }
    vi.advanceTimersByTime((LIFETIME_MS * 3) / 4);

    expect(await countOf(app, cookie)).toBe(2);
  });
});

// Redis counts a key's TTL on its own clock, so instead of waiting a lifetime this reads the TTL each
// visit left on the session's key: a fresh idle lifetime, not what was left of the loaded one.
describe.runIf(redisAvailable('idle renewal on Redis'))('idle renewal on the Redis store', () => {
  const prefix = 'idle:';
  const redis = useRedis();
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it.each(Object.keys(savingRoutes))('%s stores a full idle lifetime on each visit', async (route) => {
    const visit = savingRoutes[route] as (typeof savingRoutes)[string];
    vi.useFakeTimers({ toFake: ['Date'] }); // the store computes the TTL from the global Date
    const store = await connectedRedisStore(redis.url, prefix, { ttlMs: LIFETIME_MS });
    onTestFinished(() => store.close());
    const { app, cookie: first } = await startVisitor(store);
    let cookie = first;
    const ttls: number[] = [];

    for (let n = 0; n < 3; n++) {
      vi.advanceTimersByTime((LIFETIME_MS * 3) / 4);
      cookie = cookieFrom(await visit(app, cookie, n));
      ttls.push(await sessionTtlMs(store.redis, prefix, sessionIdOf(cookie)));
    }

    for (const ttl of ttls) expect(ttl).toBeGreaterThan(LIFETIME_MS - 5000);
  });
});
