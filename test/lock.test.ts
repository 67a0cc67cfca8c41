import request from 'supertest';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createApp } from '../src/app';
import type { Config } from '../src/config';
import { MemoryLock } from '../src/lock/memory';
import { SessionBusyError, type SessionLock } from '../src/lock/types';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import type { SessionBackend } from '../src/stores/types';
import { cookieFrom, memoryUsers, sessionIdOf, signedSessionId, silentLogger, testConfig } from './helper';
import { deferred } from './support/deferred';
import { GatedStore } from './support/gated-store';
import { cookieOf, getJson, listen } from './support/http';

afterEach(() => {
  vi.useRealTimers();
});

/** A MemoryLock that says when a request has had to wait in line (the key was held). */
class WatchedLock extends MemoryLock {
  private readonly waiting = deferred();
  readonly queued = this.waiting.promise;
  override acquire(key: string, waitMs?: number) {
    this.waiting.resolve();
    return super.acquire(key, waitMs);
  }
}

/** An app on the backend with this lock. */
function appOn(backend: SessionBackend, lock: SessionLock, config: Config = testConfig()) {
  const store = new HashedKeyStore(backend, config.store.timeoutMs);
  return createApp({ config, store, users: memoryUsers(config), lock, logger: silentLogger });
}

const watched = (config: Config = testConfig()) => new WatchedLock(config.lock);
const visit = (app: Parameters<typeof request>[0], cookie: string) =>
  request(app)
    .get('/increment')
    .set('Cookie', cookie)
    .then((res) => res);

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
    const held = lock.size;
    first();
    await Promise.all(waiting);

    expect(held).toBe(1);
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

  it('holds a free key at once with tryAcquire, and a second caller then waits in line for it', async () => {
    const lock = new MemoryLock({ waitMs: 1000, maxWaiters: 10 });
    const release = lock.tryAcquire('k');
    const second = lock.tryAcquire('k');

    const next = lock.acquire('k');
    release?.();

    expect(release).toBeTypeOf('function');
    expect(second).toBeUndefined();
    (await next)();
    expect(lock.size).toBe(0);
  });
});

describe('the session lock key', () => {
  it('is the store key of the session, never the plain ID', async () => {
    const keys: string[] = [];
    const app = appOn(new MemorySessionStore({ maxSessions: 10 }), {
      acquire: async (key) => {
        keys.push(key);
        return () => {};
      },
    });
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    await request(app).get('/increment').set('Cookie', cookie).expect(200);

    expect(keys).toEqual([storeKey(sessionIdOf(cookie))]); // the first request had no cookie: no lock
  });
});

describe('GET /increment under the session lock', () => {
  it('does not hold up session B while session A waits on a slow store', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const app = appOn(store, watched());
    const cookieA = cookieFrom(await request(app).get('/increment').expect(200));
    const cookieB = cookieFrom(await request(app).get('/increment').expect(200));
    store.gatedSid = sessionIdOf(cookieA);
    const slowA = visit(app, cookieA);
    await store.reached; // A holds its lock, stuck in the store

    const b = await visit(app, cookieB);

    expect(b.status).toBe(200);
    expect(b.body.count).toBe(2);
    store.open();
    expect((await slowA).body.count).toBe(2);
  });

  it('keeps a second request of session A out of the store until the first is done', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const lock = watched();
    const app = appOn(store, lock);
    const cookieA = cookieFrom(await request(app).get('/increment').expect(200));
    const sid = sessionIdOf(cookieA);
    store.gatedSid = sid;
    const first = visit(app, cookieA);
    await store.reached; // the first holds the lock, reading

    const second = visit(app, cookieA);
    await lock.queued; // the second has arrived and waits for the lock

    expect(store.readsOf(sid)).toBe(1); // queued, not reading
    store.open();
    expect([(await first).body.count, (await second).body.count]).toEqual([2, 3]);
  });

  it('holds the session until a request whose client left has finished saving', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const lock = watched();
    const { url, server, close } = await listen(appOn(store, lock));
    onTestFinished(close);
    const cookie = cookieOf((await getJson(`${url}/increment`)).headers) ?? '';
    Object.assign(store, { gatedSid: sessionIdOf(cookie), gateWrites: true });
    const left = deferred();
    server.on('request', (_req, res) =>
      res.on('close', () => {
        if (!res.writableFinished) left.resolve(); // an answer cut short: the client left
      }),
    );
    const leaving = new AbortController();
    const first = fetch(`${url}/increment`, { headers: { cookie }, signal: leaving.signal }).catch(
      () => 'gone',
    );
    await store.reached; // the first is saving count 2

    leaving.abort();
    await first;
    await left.promise; // the server has seen the client go
    const second = getJson(`${url}/increment`, cookie);
    await lock.queued; // still behind the first, whose save is held
    store.open();

    expect((await second).body.count).toBe(3); // it read what the first request saved, not a stale 1
  });

  it("gives a forged cookie naming session A's ID a new session, leaving A's count alone", async () => {
    const app = appOn(new MemorySessionStore({ maxSessions: 10 }), watched());
    const cookieA = cookieFrom(await request(app).get('/increment').expect(200));
    const forged = `sid=${encodeURIComponent(signedSessionId(sessionIdOf(cookieA), 'not-the-secret'))}`;

    const attack = await request(app).get('/increment').set('Cookie', forged);
    const a = await request(app).get('/increment').set('Cookie', cookieA);

    expect(attack.body.count).toBe(1);
    expect(sessionIdOf(cookieFrom(attack))).not.toBe(sessionIdOf(cookieA));
    expect(a.body.count).toBe(2);
  });

  it('answers 503 "Session busy" with Retry-After when the session stays busy past LOCK_WAIT_MS', async () => {
    const config = testConfig({ LOCK_WAIT_MS: '50' });
    const store = new GatedStore({ maxSessions: 100 });
    const app = appOn(store, watched(config), config);
    const cookieA = cookieFrom(await request(app).get('/increment').expect(200));
    store.gatedSid = sessionIdOf(cookieA);
    const first = visit(app, cookieA);
    await store.reached; // the first holds the lock

    const second = await visit(app, cookieA);

    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.body).toEqual({ error: 'Session busy, retry' });
    store.open();
    expect((await first).status).toBe(200);
  });
});
