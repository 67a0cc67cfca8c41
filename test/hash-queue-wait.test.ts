import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { createPasswordHasher } from '../src/login/password';
import { BusyError, createSemaphore } from '../src/login/semaphore';
import { PASSWORD } from './support/accounts';

/** A promise settled by hand: a slow task that finishes exactly when the test says. */
function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('a semaphore with a maximum wait', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses a task that waited maxWaitMs with a 503 and never runs it', async () => {
    const run = createSemaphore(1, 10, 100);
    const slow = deferred<string>();
    const holder = run(() => slow.promise);
    let calls = 0;
    let refused = false;
    const outcome = run(async () => ++calls).catch((err: unknown) => {
      refused = true;
      return err;
    });

    await vi.advanceTimersByTimeAsync(99);
    const refusedEarly = refused;
    await vi.advanceTimersByTimeAsync(1);
    slow.resolve('first');

    expect(refusedEarly).toBe(false);
    expect(refused).toBe(true);
    expect(await outcome).toBeInstanceOf(BusyError);
    expect(await outcome).toMatchObject({
      status: 503,
      message: 'Server busy, retry',
      headers: { 'Retry-After': '1' },
      reason: 'waited 100 ms for a password hash',
    });
    expect(await holder).toBe('first'); // the running task was not cut short
    expect(calls).toBe(0);
    expect(await run(async () => 'next')).toBe('next'); // the slot came back
  });

  it('lets a waiter whose signal aborts leave before its task starts, and the next one take its turn', async () => {
    const run = createSemaphore(1);
    const slow = deferred();
    const holder = run(() => slow.promise);
    const controller = new AbortController();
    const ran: string[] = [];
    const aborted = run(async () => ran.push('aborted'), controller.signal).catch((err: unknown) => err);
    const next = run(async () => ran.push('next'));

    controller.abort(new Error('client closed'));
    const outcome = await aborted; // at once: the holder still runs
    slow.resolve();
    await Promise.all([holder, next]);

    expect(outcome).toEqual(new Error('client closed'));
    expect(ran).toEqual(['next']);
  });

  it('never runs or queues a task whose signal aborted before it was called', async () => {
    const run = createSemaphore(1);
    let calls = 0;
    const slow = deferred();
    const free = await run(async () => ++calls, AbortSignal.abort()).catch((err: unknown) => err);
    const holder = run(() => slow.promise);

    const busy = await run(async () => ++calls, AbortSignal.abort()).catch((err: unknown) => err); // at once
    slow.resolve();
    await holder;

    expect(free).toMatchObject({ name: 'AbortError' });
    expect(busy).toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(0);
  });

  it('lets a running task finish when its signal aborts or maxWaitMs passes', async () => {
    const run = createSemaphore(1, 10, 100);
    const slow = deferred<string>();
    const controller = new AbortController();
    const running = run(() => slow.promise, controller.signal);

    controller.abort();
    await vi.advanceTimersByTimeAsync(1000);
    slow.resolve('hashed');

    expect(await running).toBe('hashed');
  });
});

describe('PasswordHasher with maxWaitMs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a verify that waited past maxWaitMs with BusyError while the running hash completes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // scrypt's thread pool stays real
    const hasher = createPasswordHasher({ cost: 1024, concurrency: 1, maxWaitMs: 50 });
    const stored = hasher.dummy;

    const running = hasher.verify(stored, PASSWORD);
    const waiting = hasher.verify(stored, PASSWORD).catch((err: unknown) => err);
    vi.advanceTimersByTime(50); // synchronously: the running hash cannot have finished yet

    expect(await waiting).toBeInstanceOf(BusyError);
    expect(await running).toBe(false);
  });

  it('never hashes for a client that left while waiting', async () => {
    const hasher = createPasswordHasher({ cost: 1024, concurrency: 1 });
    const controller = new AbortController();
    const first = hasher.hash(PASSWORD);
    const left = hasher.hash(PASSWORD, controller.signal).catch((err: unknown) => err);

    controller.abort();

    expect(await left).toMatchObject({ name: 'AbortError' });
    expect(await first).toMatch(/^scrypt\$/);
  });
});

describe('HASH_MAX_WAIT_MS', () => {
  it('defaults to 2 s and accepts 10 ms to 60 s', () => {
    expect(loadConfig({}).login.hashMaxWaitMs).toBe(2000);
    expect(loadConfig({ HASH_MAX_WAIT_MS: '10' }).login.hashMaxWaitMs).toBe(10);
    expect(() => loadConfig({ HASH_MAX_WAIT_MS: '9' })).toThrow(ConfigError);
    expect(() => loadConfig({ HASH_MAX_WAIT_MS: '60001' })).toThrow(/HASH_MAX_WAIT_MS/);
  });
});
