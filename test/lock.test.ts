import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { MemoryLock, RedisLock, SessionBusyError, sessionIdFromCookie } from '../src/lock';
import { createSessionLock } from '../src/lock/create';
import type { RedisCommands } from '../src/lock/redis';
import { MemorySessionStore } from '../src/stores/memory';
import { RedisSessionStore } from '../src/stores/redis';
import { buildApp, sessionCookie, sessionIdOf, silentLogger, TEST_SECRET, testConfig } from './helper';
import { cookieOf, getJson, listen } from './support/http';
import { findRedisServer, type RedisServer, startRedis } from './support/redis';
import { serviceAvailable } from './support/service';

const sign = (sid: string, secret: string) =>
  `s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;

/** A memory store whose reads of one session wait until the test opens the gate. */
class GatedStore extends MemorySessionStore {
  gatedSid = '';
  /** gate writes of the session instead of reads */
  gateWrites = false;
  reads: string[] = [];
  writes: string[] = [];
  private opened: () => void = () => {};
  private gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  open() {
    this.opened();
  }
  override get(sid: string, cb: (err?: unknown, value?: SessionData | null) => void): void {
    this.reads.push(sid);
    if (sid === this.gatedSid && !this.gateWrites) this.gate.then(() => super.get(sid, cb));
    else super.get(sid, cb);
  }
  override set(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    this.writes.push(sid);
    if (sid === this.gatedSid && this.gateWrites) this.gate.then(() => super.set(sid, session, cb));
    else super.set(sid, session, cb);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryLock', () => {
  it('grants one key in arrival order and forgets it once nobody holds it', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });
    const order: number[] = [];

    const first = await lock.acquire('a');
    const waiting = [1, 2, 3].map((n) =>
      lock.acquire('a').then((release) => {
        order.push(n);
        release();
      }),
    );
    expect(lock.size).toBe(1);
    first();
    await Promise.all(waiting);

    expect(order).toEqual([1, 2, 3]);
    expect(lock.size).toBe(0);
  });

  it('lets different keys through at once', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });

    const a = await lock.acquire('a');
    const b = await lock.acquire('b');

    expect(lock.size).toBe(2);
    a();
    b();
    expect(lock.size).toBe(0);
  });

  it('turns a waiter away with 503 and Retry-After once waitMs has passed', async () => {
    vi.useFakeTimers();
    const lock = new MemoryLock({ waitMs: 500, maxWaiters: 10 });
    const held = await lock.acquire('a');

    const waiting = lock.acquire('a');
    const outcome = expect(waiting).rejects.toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
    await vi.advanceTimersByTimeAsync(500);

    await outcome;
    held(); // the timed-out waiter left the queue, so the key is free again
    expect(lock.size).toBe(0);
  });

  it('turns away at once a waiter past maxWaiters', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 2 });
    const held = await lock.acquire('a');
    const queued = [lock.acquire('a'), lock.acquire('a')];

    await expect(lock.acquire('a')).rejects.toBeInstanceOf(SessionBusyError);

    held();
    for (const next of queued) (await next)();
    expect(lock.size).toBe(0);
  });

  it('ignores a second release', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });
    const first = await lock.acquire('a');
    const second = lock.acquire('a');

    first();
    first(); // must not hand the key to nobody while `second` holds it
    const third = lock.acquire('a');
    const release2 = await second;

    expect(lock.size).toBe(1);
    release2();
    (await third)();
    expect(lock.size).toBe(0);
  });
});

describe('sessionIdFromCookie', () => {
  it('reads the same session ID express-session stored', async () => {
    const { app } = buildApp();
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';

    const sid = sessionIdFromCookie(`other=1; ${cookie}`, 'sid', [TEST_SECRET]);

    expect(sid).toBe(sessionIdOf(cookie));
  });

  it('verifies with any of the rotated secrets', () => {
    const header = `sid=${encodeURIComponent(sign('abc', 'old-secret'))}`;

    expect(sessionIdFromCookie(header, 'sid', ['new-secret', 'old-secret'])).toBe('abc');
  });

  it.each([
    ['no header', undefined],
    ['another cookie only', 'x=1'],
    ['an unsigned value', 'sid=abc'],
    ['a bad signature', `sid=${sign('abc', 'wrong-secret')}`],
    ['a bad % escape', 'sid=s%3Aabc.%zz'],
    ['a bare semicolon', ';'],
  ])('gives no ID for %s', (_name, header) => {
    expect(sessionIdFromCookie(header, 'sid', [TEST_SECRET])).toBeUndefined();
  });

  it('takes the first of two cookies with the name, as express-session does', () => {
    const header = `sid=${sign('first', TEST_SECRET)}; sid=${sign('second', TEST_SECRET)}`;

    expect(sessionIdFromCookie(header, 'sid', [TEST_SECRET])).toBe('first');
  });
});

describe('GET /increment under the session lock', () => {
  it('does not hold up session B while session A waits on a slow store', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const cookieA = sessionCookie(await request(app).get('/increment')) ?? '';
    const cookieB = sessionCookie(await request(app).get('/increment')) ?? '';
    store.gatedSid = sessionIdOf(cookieA);

    const slowA = request(app)
      .get('/increment')
      .set('Cookie', cookieA)
      .then((res) => res);
    const b = await request(app).get('/increment').set('Cookie', cookieB);

    expect(b.status).toBe(200);
    expect(b.body.count).toBe(2);
    store.open();
    expect((await slowA).body.count).toBe(2);
  });

  it('keeps a second request of session A out of the store until the first is done', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const cookieA = sessionCookie(await request(app).get('/increment')) ?? '';
    const sid = sessionIdOf(cookieA);
    store.gatedSid = sid;

    const first = request(app)
      .get('/increment')
      .set('Cookie', cookieA)
      .then((res) => res);
    await vi.waitFor(() => expect(store.reads.filter((s) => s === sid)).toHaveLength(1));
    const second = request(app)
      .get('/increment')
      .set('Cookie', cookieA)
      .then((res) => res);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.reads.filter((s) => s === sid)).toHaveLength(1); // queued, not reading

    store.open();
    const counts = [(await first).body.count, (await second).body.count];
    expect(counts).toEqual([2, 3]);
  });

  it('holds the session until a request whose client left has finished saving', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const { url, close } = await listen(app);
    const cookie = cookieOf((await getJson(`${url}/increment`)).headers) ?? '';
    const sid = sessionIdOf(cookie);
    Object.assign(store, { gatedSid: sid, gateWrites: true });
    const leaving = new AbortController();
    const first = fetch(`${url}/increment`, { headers: { cookie }, signal: leaving.signal }).catch(
      () => 'gone',
    );
    await vi.waitFor(() => expect(store.writes.filter((s) => s === sid)).toHaveLength(2)); // saving

    leaving.abort();
    await first;
    const second = getJson(`${url}/increment`, cookie);
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for the server to see the client go
    store.open();

    expect((await second).body.count).toBe(3); // it read what the first request saved, not a stale 1
    await close();
  });

  it('answers 503 "Session busy" with Retry-After when the session stays busy past LOCK_WAIT_MS', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store, config: testConfig({ LOCK_WAIT_MS: '50' }) });
    const cookieA = sessionCookie(await request(app).get('/increment')) ?? '';
    store.gatedSid = sessionIdOf(cookieA);
    const first = request(app)
      .get('/increment')
      .set('Cookie', cookieA)
      .then((res) => res);

    const second = await request(app).get('/increment').set('Cookie', cookieA);

    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.body).toEqual({ error: 'Session busy, retry' });
    store.open();
    expect((await first).status).toBe(200);
  });
});

const redisAvailable = serviceAvailable(
  'redis lock tests',
  findRedisServer() ? undefined : 'redis-server not found',
);

describe.skipIf(!redisAvailable)('RedisLock', () => {
  let redis: RedisServer;
  const stores: RedisSessionStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    return () => redis.close();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  async function client(): Promise<RedisSessionStore> {
    const store = new RedisSessionStore({
      url: redis.url,
      prefix: 'sess:',
      timeoutMs: 1000,
      logger: silentLogger,
    });
    stores.push(store);
    if (!store.client.isReady) await once(store.client, 'ready');
    return store;
  }

  const lockOn = (store: RedisSessionStore, config = testConfig({ LOCK_TTL_MS: '300' })) =>
    createSessionLock(config, store, silentLogger);

  it('frees a session whose holder died mid-request once the lock expires', async () => {
    const config = testConfig({ SESSION_STORE: 'redis', LOCK_TTL_MS: '300', LOCK_WAIT_MS: '3000' });
    const dying = await client();
    const survivor = await client();
    const gated = new GatedStore({ maxSessions: 10 }); // only to stop app one mid-request
    const one = createApp({ config, store: gated, logger: silentLogger, lock: lockOn(dying, config) });
    const two = createApp({
      config,
      store: await client(),
      logger: silentLogger,
      lock: lockOn(survivor, config),
    });
    const cookie = sessionCookie(await request(two).get('/increment')) ?? '';
    gated.gatedSid = sessionIdOf(cookie);
    request(one)
      .get('/increment')
      .set('Cookie', cookie)
      .then(
        () => {},
        () => {},
      );
    await vi.waitFor(() => expect(gated.reads).toHaveLength(1)); // app one holds the lock, stuck in the store

    dying.client.destroy(); // the holder "crashes": it neither releases nor renews
    const started = Date.now();
    const res = await request(two).get('/increment').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body.count).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // it did wait for the expiry
    gated.open();
  });

  it('keeps a live holder locked past its ttl by renewing it', async () => {
    const holder = lockOn(await client());
    const other = lockOn(await client(), testConfig({ LOCK_TTL_MS: '300', LOCK_WAIT_MS: '600' }));
    const release = await holder.acquire('slow');

    await expect(other.acquire('slow')).rejects.toBeInstanceOf(SessionBusyError);

    release();
    (await other.acquire('slow'))();
  });

  it('lets only one waiter per process poll Redis for a session', async () => {
    const polling = await client();
    let inFlight = 0;
    let most = 0;
    const counting: RedisCommands = {
      async sendCommand<T>(args: string[]): Promise<T> {
        const isSet = args[0] === 'SET';
        if (isSet) most = Math.max(most, ++inFlight);
        try {
          return await polling.client.sendCommand<T>(args);
        } finally {
          if (isSet) inFlight--;
        }
      },
    };
    const holder = lockOn(await client());
    const waiters = new RedisLock({
      client: counting,
      prefix: 'lock:sess:',
      waitMs: 3000,
      maxWaiters: 50,
      ttlMs: 1000,
      timeoutMs: 1000,
    });
    const release = await holder.acquire('busy');

    const queued = Array.from({ length: 20 }, () => waiters.acquire('busy').then((r) => r()));
    await new Promise((resolve) => setTimeout(resolve, 100)); // let them poll a while
    release();
    await Promise.all(queued);

    expect(most).toBe(1);
  });

  it('keeps lock keys outside the session prefix and removes them on release', async () => {
    const store = await client();
    const release = await lockOn(store).acquire('abc');

    expect(await store.client.keys('lock:sess:*')).toEqual(['lock:sess:abc']);
    release();
    await vi.waitFor(async () => expect(await store.client.exists('lock:sess:abc')).toBe(0));
  });

  it('answers 503, not 500, while Redis is unreachable', async () => {
    const store = await client();
    const lock = lockOn(store);
    await redis.stop();
    try {
      await expect(lock.acquire('x')).rejects.toMatchObject({ status: 503 });
    } finally {
      await redis.start();
    }
  });
});
