import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../src/login/password';
import { createSemaphore } from '../src/login/semaphore';
import { createAttemptLimiter } from '../src/login/throttle';
import { buildApp, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { countingHasher } from './support/hasher';
import { stubRedis } from './support/redis-keys';

type Client = ReturnType<typeof request>;

const signup = (client: Client, username: string) =>
  client.post('/signup').send({ username, password: PASSWORD });
const login = (client: Client, username: string) =>
  client.post('/login').send({ username, password: PASSWORD });
const wrongLogin = (client: Client, username: string) =>
  client.post('/login').send({ username, password: 'wrong password here' });

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
    const disconnected = stubRedis({ isReady: false, eval: () => Promise.reject(new Error('unreachable')) });
    const limiter = createAttemptLimiter(testConfig(), disconnected);
    const { app } = buildApp({ hasher, limiter });

    const res = await signup(request(app), 'ann');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'Signup temporarily unavailable' });
    expect(res.headers['retry-after']).toBe('1');
    expect(hasher.hashes).toBe(0);
  });
});

/**
 * The real hasher, one hash at a time and none waiting, each held until open(): while one is held
 * every other hash is refused at once with BusyError, as in a flood. `held` settles once one is in.
 */
function oneAtATimeHasher() {
  const real = createPasswordHasher({ cost: 1024, concurrency: 1 });
  const limit = createSemaphore(1, 0);
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let holding = () => {};
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const hold = <T>(task: () => Promise<T>) =>
    limit(() => {
      holding();
      return gate.then(task);
    });
  const hasher: PasswordHasher = {
    dummy: real.dummy,
    needsRehash: real.needsRehash,
    hash: (password) => hold(() => real.hash(password)),
    verify: (stored, password) => hold(() => real.verify(stored, password)),
  };
  return { hasher, open, held, hash: real.hash };
}

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
      needsRehash: real.needsRehash,
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

  it('does not count a login refused as busy: a correct login after the flood is not throttled', async () => {
    const { hasher, open, held, hash } = oneAtATimeHasher();
    const { app, users } = buildApp({ hasher });
    await users.create({ username: 'alice', passwordHash: await hash(PASSWORD), createdAt: 0 });
    const holder = login(request(app), 'ann').then((res) => res.status); // then() sends it
    await held;
    const statuses: number[] = [];

    for (let i = 0; i < 6; i++) statuses.push((await login(request(app), 'alice')).status); // past the 5 allowed
    open();
    const holderStatus = await holder;
    const after = await login(request(app), 'alice');

    expect(statuses).toEqual([503, 503, 503, 503, 503, 503]);
    expect(holderStatus).toBe(401);
    expect(after.status).toBe(200);
  });

  it('still counts every password it did check, busy refusals in between', async () => {
    const { hasher, open, held, hash } = oneAtATimeHasher();
    const { app, users } = buildApp({ hasher });
    await users.create({ username: 'alice', passwordHash: await hash(PASSWORD), createdAt: 0 });
    const holder = login(request(app), 'ann').then((res) => res.status); // then() sends it
    await held;
    const busy: number[] = [];
    for (let i = 0; i < 3; i++) busy.push((await wrongLogin(request(app), 'alice')).status);
    open();
    await holder;
    const checked: number[] = [];

    for (let i = 0; i < 5; i++) checked.push((await wrongLogin(request(app), 'alice')).status);
    const sixth = await login(request(app), 'alice');

    expect(busy).toEqual([503, 503, 503]);
    expect(checked).toEqual([401, 401, 401, 401, 401]);
    expect(sixth.status).toBe(429);
  });

  it('does not count a signup refused as busy against the per-IP signup limit', async () => {
    const { hasher, open, held } = oneAtATimeHasher();
    const { app } = buildApp({ config: testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' }), hasher });
    const holder = signup(request(app), 'ann').then((res) => res.status); // then() sends it
    await held;
    const busy = [(await signup(request(app), 'ben')).status, (await signup(request(app), 'ben')).status];
    open();
    const first = await holder;

    const second = await signup(request(app), 'ben');

    expect(busy).toEqual([503, 503]);
    expect(first).toBe(201);
    expect(second.status).toBe(201);
  });
});
