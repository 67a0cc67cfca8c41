import { createHmac } from 'node:crypto';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryLock, SessionBusyError, sessionIdFromCookie } from '../src/lock';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie, sessionIdOf, TEST_SECRET, testConfig } from './helper';

const sign = (sid: string, secret: string) =>
  `s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`;

/** A memory store whose reads of one session wait until the test opens the gate. */
class GatedStore extends MemorySessionStore {
  gatedSid = '';
  reads: string[] = [];
  private opened: () => void = () => {};
  private gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  open() {
    this.opened();
  }
  override get(sid: string, cb: (err?: unknown, value?: SessionData | null) => void): void {
    this.reads.push(sid);
    if (sid === this.gatedSid) this.gate.then(() => super.get(sid, cb));
    else super.get(sid, cb);
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
