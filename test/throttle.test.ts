import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { createAttemptLimiter, LimiterUnavailableError } from '../src/login/throttle';
import { testConfig } from './helper';
import { findRedisServer, useRedis } from './support/redis';
import { stubRedis } from './support/redis-keys';
import { serviceAvailable } from './support/service';

const IP = '203.0.113.7';

async function attempts(
  limiter: ReturnType<typeof createAttemptLimiter>,
  n: number,
  user = 'alice',
  ip = IP,
) {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limiter.attempt(user, ip)).allowed);
  return out;
}

describe('createAttemptLimiter (memory)', () => {
  it('allows five attempts for one username and IP, then refuses with the time left in the window', async () => {
    const limiter = createAttemptLimiter(testConfig());

    const allowed = await attempts(limiter, 5);
    const sixth = await limiter.attempt('alice', IP);

    expect(allowed).toEqual([true, true, true, true, true]);
    expect(sixth.allowed).toBe(false);
    if (!sixth.allowed) {
      expect(sixth.retryAfterMs).toBeGreaterThan(890_000);
      expect(sixth.retryAfterMs).toBeLessThanOrEqual(900_000);
    }
  });

  it('counts each username and IP pair on its own', async () => {
    const limiter = createAttemptLimiter(testConfig());
    await attempts(limiter, 6);

    expect((await limiter.attempt('alice', '198.51.100.1')).allowed).toBe(true);
    expect((await limiter.attempt('bob', IP)).allowed).toBe(true);
  });

  it('starts the count again after a success', async () => {
    const limiter = createAttemptLimiter(testConfig());
    await attempts(limiter, 5);

    await limiter.succeeded('alice', IP);

    expect(await attempts(limiter, 5)).toEqual([true, true, true, true, true]);
    expect((await limiter.attempt('alice', IP)).allowed).toBe(false);
  });

  it('limits one IP across all usernames, and a success gives its attempt back', async () => {
    const limiter = createAttemptLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '3' }));

    const allowed = [
      (await limiter.attempt('a1', IP)).allowed,
      (await limiter.attempt('a2', IP)).allowed,
      (await limiter.attempt('a3', IP)).allowed,
    ];
    await limiter.succeeded('a3', IP);
    const afterSuccess = (await limiter.attempt('a4', IP)).allowed;
    const past = (await limiter.attempt('a5', IP)).allowed;

    expect(allowed).toEqual([true, true, true]);
    expect(afterSuccess).toBe(true);
    expect(past).toBe(false);
    expect((await limiter.attempt('a5', '198.51.100.1')).allowed).toBe(true);
  });

  it('gives a refunded attempt back to the pair and to the IP, one each', async () => {
    const limiter = createAttemptLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '5' }));
    await attempts(limiter, 5);

    await limiter.refund('alice', IP);

    expect((await limiter.attempt('alice', IP)).allowed).toBe(true);
    expect((await limiter.attempt('bob', IP)).allowed).toBe(false); // the IP is full again
  });
});

describe('createAttemptLimiter signups (memory)', () => {
  it('allows the per-IP limit of signups, then refuses; other IPs and logins keep their own counts', async () => {
    const limiter = createAttemptLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' }));

    const allowed = [(await limiter.signup(IP)).allowed, (await limiter.signup(IP)).allowed];
    const third = await limiter.signup(IP);

    expect(allowed).toEqual([true, true]);
    expect(third.allowed).toBe(false);
    if (!third.allowed) expect(third.retryAfterMs).toBeGreaterThan(890_000);
    expect((await limiter.signup('198.51.100.1')).allowed).toBe(true);
    expect((await limiter.attempt('alice', IP)).allowed).toBe(true);
  });

  it('gives a refunded signup back', async () => {
    const limiter = createAttemptLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' }));
    await limiter.signup(IP);
    await limiter.signup(IP);

    await limiter.refundSignup(IP);

    expect((await limiter.signup(IP)).allowed).toBe(true);
    expect((await limiter.signup(IP)).allowed).toBe(false);
  });
});

describe('createAttemptLimiter (broken Redis)', () => {
  it('fails with a 503 within the store timeout when Redis never answers', async () => {
    const silent = stubRedis({ isReady: true, eval: () => new Promise(() => {}) });
    const limiter = createAttemptLimiter(testConfig({ STORE_TIMEOUT_MS: '50' }), silent);

    const error = await limiter.attempt('alice', IP).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(LimiterUnavailableError);
    expect(error).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });
  });

  it('fails with a 503 at once when the client is not connected', async () => {
    const disconnected = stubRedis({ isReady: false, eval: () => Promise.reject(new Error('unreachable')) });
    const limiter = createAttemptLimiter(testConfig(), disconnected);

    await expect(limiter.attempt('alice', IP)).rejects.toBeInstanceOf(LimiterUnavailableError);
  });

  it('fails a signup with a 503 within the store timeout when Redis never answers', async () => {
    const silent = stubRedis({ isReady: true, eval: () => new Promise(() => {}) });
    const limiter = createAttemptLimiter(testConfig({ STORE_TIMEOUT_MS: '50' }), silent);

    const error = await limiter.signup(IP).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(LimiterUnavailableError);
    expect(error).toMatchObject({ status: 503, message: 'Signup temporarily unavailable' });
  });
});

const redisMissing = findRedisServer() ? undefined : 'redis-server not found';
describe.skipIf(!serviceAvailable('login throttle on Redis', redisMissing))(
  'createAttemptLimiter (Redis)',
  () => {
    const server = useRedis();

    it('shares the counts between two instances', async () => {
      const clients = [createClient({ url: server.url }), createClient({ url: server.url })];
      await Promise.all(clients.map((c) => c.connect()));
      try {
        const [one, two] = clients.map((client) => createAttemptLimiter(testConfig(), client));
        if (!one || !two) throw new Error('unreachable');

        const first = await attempts(one, 3, 'carol');
        const second = await attempts(two, 3, 'carol');
        await two.succeeded('carol', IP);
        const afterReset = await attempts(one, 1, 'carol');

        expect([...first, ...second]).toEqual([true, true, true, true, true, false]);
        expect(afterReset).toEqual([true]);
      } finally {
        await Promise.all(clients.map((c) => c.quit()));
      }
    });

    it('gives refunded attempts and signups back', async () => {
      const client = createClient({ url: server.url });
      await client.connect();
      try {
        const logins = createAttemptLimiter(testConfig(), client);
        const signups = createAttemptLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '1' }), client);
        await attempts(logins, 5, 'dave');
        await signups.signup('198.51.100.9');

        await logins.refund('dave', IP);
        await signups.refundSignup('198.51.100.9');

        expect(await attempts(logins, 2, 'dave')).toEqual([true, false]);
        expect((await signups.signup('198.51.100.9')).allowed).toBe(true);
        expect((await signups.signup('198.51.100.9')).allowed).toBe(false);
      } finally {
        await client.quit();
      }
    });
  },
);
