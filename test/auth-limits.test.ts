import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../src/auth/password';
import { createSemaphore } from '../src/auth/semaphore';
import { createAttemptLimiter } from '../src/auth/throttle';
import { buildApp, testConfig } from './helper';

const PASSWORD = 'correct horse battery staple';
type Client = ReturnType<typeof request>;

const signup = (client: Client, username: string) =>
  client.post('/signup').send({ username, password: PASSWORD });
const login = (client: Client, username: string) =>
  client.post('/login').send({ username, password: PASSWORD });

/** The real (cheap) hasher, counting its hashes. */
function countingHasher(): PasswordHasher & { hashes: number } {
  const real = createPasswordHasher({ cost: 1024, concurrency: 2 });
  const counter = {
    hashes: 0,
    dummy: real.dummy,
    hash: (password: string) => {
      counter.hashes++;
      return real.hash(password);
    },
    verify: (stored: string, password: string) => real.verify(stored, password),
  };
  return counter;
}

describe('POST /signup throttle', () => {
  it('answers 429 with Retry-After past the per-IP limit, without hashing or creating the user', async () => {
    const hasher = countingHasher();
    const { app, users } = buildApp({ config: testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' }), hasher });
    await signup(request(app), 'ann').expect(201);
    await signup(request(app), 'ann').expect(409); // probing names counts too

    const third = await signup(request(app), 'ben');

    expect(third.status).toBe(429);
    expect(third.body).toEqual({ error: 'Too many signups from this address; try again later' });
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(800);
    expect(hasher.hashes).toBe(1);
    expect(await users.findByUsername('ben')).toBeUndefined();
    expect(third.headers['set-cookie']).toBeUndefined();
  });

  it('keeps its own count: signups do not use up the logins of the same IP', async () => {
    const { app } = buildApp({ config: testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '1' }) });
    await signup(request(app), 'ann').expect(201);
    await signup(request(app), 'ben').expect(429);

    const res = await login(request(app), 'ann');

    expect(res.status).toBe(200);
  });

  it('answers 503 at once when the counter store is down, without hashing', async () => {
    const hasher = countingHasher();
    const disconnected = { isReady: false, eval: () => Promise.reject(new Error('unreachable')) };
    const limiter = createAttemptLimiter(testConfig(), disconnected);
    const { app } = buildApp({ hasher, limiter });

    const res = await signup(request(app), 'ann');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'Signup temporarily unavailable' });
    expect(res.headers['retry-after']).toBe('1');
    expect(hasher.hashes).toBe(0);
  });
});

describe('a full password hash queue', () => {
  it('answers 503 "Server busy, retry" with Retry-After at once, then serves again once it drains', async () => {
    // one hash at a time and one waiting, each held until the gate opens
    const real = createPasswordHasher({ cost: 1024, concurrency: 1 });
    const limit = createSemaphore(1, 1);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let calls = 0;
    let bothIn = () => {};
    const twoCalls = new Promise<void>((resolve) => {
      bothIn = resolve;
    });
    const hasher: PasswordHasher = {
      dummy: real.dummy,
      hash: (password) => real.hash(password),
      verify: (stored, password) => {
        if (++calls === 2) bothIn();
        return limit(() => gate.then(() => real.verify(stored, password)));
      },
    };
    const { app } = buildApp({ hasher });
    const held = Promise.all([login(request(app), 'ann'), login(request(app), 'ben')]);
    await twoCalls;

    const refused = await login(request(app), 'cat');
    open();
    const answered = (await held).map((res) => res.status);
    const after = await login(request(app), 'dan');

    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: 'Server busy, retry' });
    expect(refused.headers['retry-after']).toBe('1');
    expect(answered).toEqual([401, 401]);
    expect(after.status).toBe(401);
  });
});
