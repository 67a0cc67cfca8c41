import { describe, expect, it } from 'vitest';
import { createPasswordHasher, parseHash } from '../src/login/password';
import { BusyError, createSemaphore } from '../src/login/semaphore';
import { PASSWORD } from './support/accounts';

const cheap = () => createPasswordHasher({ cost: 1024, concurrency: 2 });

describe('password hashing', () => {
  it('stores a salted scrypt hash that names its parameters and is not the password', async () => {
    const hasher = cheap();

    const first = await hasher.hash(PASSWORD);
    const second = await hasher.hash(PASSWORD);

    expect(first).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(first).not.toContain(PASSWORD);
    expect(second).not.toBe(first); // a fresh salt each time
    expect(parseHash(first).key).toHaveLength(32);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hasher = cheap();
    const stored = await hasher.hash(PASSWORD);

    expect(await hasher.verify(stored, PASSWORD)).toBe(true);
    expect(await hasher.verify(stored, `${PASSWORD}!`)).toBe(false);
    expect(await hasher.verify(stored, '')).toBe(false);
  });

  it('verifies a hash made with other parameters, so the cost can be raised later', async () => {
    const old = await createPasswordHasher({ cost: 512, concurrency: 1 }).hash(PASSWORD);

    const verified = await createPasswordHasher({ cost: 4096, concurrency: 1 }).verify(old, PASSWORD);

    expect(old.startsWith('scrypt$512$8$1$')).toBe(true);
    expect(verified).toBe(true);
  });

  it('asks for a rehash of hashes made with weaker parameters only', async () => {
    const hasher = createPasswordHasher({ cost: 2048, concurrency: 1 });
    const older = await createPasswordHasher({ cost: 1024, concurrency: 1 }).hash(PASSWORD);
    const stronger = await createPasswordHasher({ cost: 4096, concurrency: 1 }).hash(PASSWORD);

    expect(hasher.needsRehash(older)).toBe(true);
    expect(hasher.needsRehash(older.replace('$8$1$', '$4$1$').replace('$1024$', '$2048$'))).toBe(true); // lower r
    expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
    expect(hasher.needsRehash(stronger)).toBe(false);
  });

  it('treats the same text in another Unicode form as the same password (NFKC)', async () => {
    const hasher = cheap();
    const stored = await hasher.hash('caf\u00e9 au lait, s\u2019il vous pla\u00eet');

    expect(await hasher.verify(stored, 'cafe\u0301 au lait, s\u2019il vous pla\u00eet')).toBe(true);
  });

  it('has a well-formed dummy hash that matches nothing', async () => {
    const hasher = cheap();

    expect(parseHash(hasher.dummy).params).toEqual({ N: 1024, r: 8, p: 1 });
    expect(await hasher.verify(hasher.dummy, PASSWORD)).toBe(false);
  });

  it('rejects a stored hash it does not understand instead of guessing', async () => {
    const hasher = cheap();

    for (const bad of [
      '',
      PASSWORD,
      'bcrypt$10$x$y',
      `scrypt$1000$8$1$c2FsdHNhbHQ=$${'a'.repeat(44)}`,
      `scrypt$33554432$8$1$c2FsdHNhbHQ=$${'a'.repeat(44)}`,
    ]) {
      await expect(hasher.verify(bad, PASSWORD), bad).rejects.toThrow('unrecognised password hash format');
    }
  });

  it('hashes off the event loop: other callbacks run while a hash is in progress', async () => {
    const hasher = createPasswordHasher({ cost: 16_384, concurrency: 1 });
    let hashed = false;

    const pending = hasher.hash(PASSWORD).then(() => {
      hashed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(hashed).toBe(false);
    await pending;
    expect(hashed).toBe(true);
  });

  it('queues at most 16 hashes per running one and refuses the next at once with a 503', async () => {
    const hasher = createPasswordHasher({ cost: 1024, concurrency: 2 });

    // all started in one tick, so none finishes before the last is refused
    const results = await Promise.allSettled(Array.from({ length: 35 }, () => hasher.hash(PASSWORD)));

    const refused = results.flatMap((result, i) => (result.status === 'rejected' ? [i] : []));
    expect(refused).toEqual([34]);
    expect((results[34] as PromiseRejectedResult).reason).toBeInstanceOf(BusyError);
  });

  it("hashes with OWASP's N = 2^17 (maxmem raised to fit)", async () => {
    const hasher = createPasswordHasher({ cost: 131_072, concurrency: 1 });

    const stored = await hasher.hash(PASSWORD);

    expect(stored.startsWith('scrypt$131072$8$1$')).toBe(true);
  });
});

describe('createSemaphore', () => {
  it('runs at most the limit at once and the rest in order', async () => {
    const run = createSemaphore(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const task = (i: number) =>
      run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return i;
      });

    const all = Promise.all([0, 1, 2, 3, 4].map(task));
    while (started.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    for (const open of gates) open();

    expect(await all).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('refuses at once with 503 and Retry-After past maxWaiting, and queues again once a slot frees', async () => {
    const run = createSemaphore(1, 1);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const running = run(() => gate.then(() => 'first'));
    const waiting = run(async () => 'second');

    const refused = await run(async () => 'third').catch((err: unknown) => err);
    open();
    const done = await Promise.all([running, waiting]);

    expect(refused).toBeInstanceOf(BusyError);
    expect(refused).toMatchObject({
      status: 503,
      message: 'Server busy, retry',
      headers: { 'Retry-After': '1' },
    });
    expect(done).toEqual(['first', 'second']);
    expect(await run(async () => 'later')).toBe('later');
  });

  it('frees the slot when a task fails', async () => {
    const run = createSemaphore(1);

    await expect(run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(await run(async () => 'next')).toBe('next');
  });
});
