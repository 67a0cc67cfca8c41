import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app';
import { MemoryLock, SessionBusyError, type SessionLock, SessionReplacedError } from '../src/lock';
import { ReplacedSessions } from '../src/lock/replaced-sessions';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie, sessionIdOf, signedSessionId, silentLogger, testConfig } from './helper';
import { newSession } from './support/cookies';
import { GatedStore } from './support/gated-store';
import { cookieOf, getJson, listen } from './support/http';

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

  it("turns away the line and newcomers once a holder's login replaced the key, other keys unaffected", async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });
    const release = await lock.acquire('old');
    const inLine = [lock.acquire('old'), lock.acquire('old')];

    release({ replaced: true });

    for (const waiter of inLine) await expect(waiter).rejects.toBeInstanceOf(SessionReplacedError);
    await expect(lock.acquire('old')).rejects.toMatchObject({ status: 409 });
    (await lock.acquire('other'))();
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

describe('ReplacedSessions', () => {
  it('remembers a replaced ID for ttlMs, then forgets it', () => {
    let now = 0;
    const replaced = new ReplacedSessions(1000, 10, () => now);
    replaced.add('a');

    const during = replaced.has('a');
    now = 1000;

    expect(during).toBe(true);
    expect(replaced.has('a')).toBe(false);
    expect(replaced.has('never-added')).toBe(false);
  });

  it('forgets the oldest first once it holds max IDs', () => {
    const replaced = new ReplacedSessions(1000, 2);

    for (const sid of ['a', 'b', 'c']) replaced.add(sid);

    expect([replaced.has('a'), replaced.has('b'), replaced.has('c')]).toEqual([false, true, true]);
  });
});

describe('the session lock key', () => {
  const appWith = (lock: SessionLock) =>
    createApp({
      config: testConfig(),
      store: new MemorySessionStore({ maxSessions: 10 }),
      lock,
      logger: silentLogger,
    });

  it('is the store key of the session, never the plain ID', async () => {
    const keys: string[] = [];
    const app = appWith({
      acquire: async (key) => {
        keys.push(key);
        return () => {};
      },
    });
    const cookie = await newSession(app);

    await request(app).get('/increment').set('Cookie', cookie).expect(200);

    expect(keys).toEqual([storeKey(sessionIdOf(cookie))]); // the first request had no cookie: no lock
  });

  it('marks the store key of the ID a login replaced, so its stragglers are turned away', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });
    const app = appWith(lock);
    const before = await newSession(app);

    await request(app)
      .post('/signup')
      .set('Cookie', before)
      .send({ username: 'alice', password: 'correct horse battery staple' })
      .expect(201);

    await expect(lock.acquire(storeKey(sessionIdOf(before)))).rejects.toBeInstanceOf(SessionReplacedError);
  });
});

describe('GET /increment under the session lock', () => {
  it('does not hold up session B while session A waits on a slow store', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const cookieA = await newSession(app);
    const cookieB = await newSession(app);
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
    const cookieA = await newSession(app);
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

  it("gives a forged cookie naming session A's ID a new session, leaving A's count alone", async () => {
    const { app } = buildApp();
    const cookieA = await newSession(app);
    const forged = `sid=${encodeURIComponent(signedSessionId(sessionIdOf(cookieA), 'not-the-secret'))}`;

    const attack = await request(app).get('/increment').set('Cookie', forged);
    const a = await request(app).get('/increment').set('Cookie', cookieA);

    expect(attack.body.count).toBe(1);
    expect(sessionIdOf(sessionCookie(attack) ?? '')).not.toBe(sessionIdOf(cookieA));
    expect(a.body.count).toBe(2);
  });

  it('turns away with 409 a request that waited behind a login with the old cookie, keeping the login', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const before = await newSession(app);
    store.gatedSid = sessionIdOf(before);
    const signup = request(app)
      .post('/signup')
      .set('Cookie', before)
      .send({ username: 'alice', password: 'correct horse battery staple' })
      .then((res) => res);
    await vi.waitFor(() => expect(store.reads).toContain(store.gatedSid)); // signup holds the lock

    const straggler = request(app)
      .get('/increment')
      .set('Cookie', before)
      .then((res) => res);
    await new Promise((resolve) => setImmediate(resolve)); // queued behind the signup
    store.open();
    const loggedIn = sessionCookie(await signup) ?? '';
    const late = await straggler;
    const retried = await request(app).get('/increment').set('Cookie', loggedIn);
    const home = await request(app).get('/').set('Cookie', loggedIn);

    expect(late.status).toBe(409);
    expect(late.body).toEqual({ error: 'Session changed by a login, retry' });
    expect(sessionCookie(late)).toBeUndefined(); // no new anonymous session to replace the login cookie
    expect(retried.body.count).toBe(2); // the count came along with the login
    expect(home.body.user).toEqual({ username: 'alice' });
  });

  it('answers 503 "Session busy" with Retry-After when the session stays busy past LOCK_WAIT_MS', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app } = buildApp({ store, config: testConfig({ LOCK_WAIT_MS: '50' }) });
    const cookieA = await newSession(app);
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
