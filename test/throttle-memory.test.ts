import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/config';
import { createAttemptLimiter } from '../src/login/throttle';
import { memoryCounters } from '../src/login/throttle-counters';
import { buildApp, testConfig } from './helper';

const IP = '203.0.113.7';

/** A limiter over in-memory counters the test can count. */
function countedLimiter(config: Config) {
  const counters = memoryCounters(config.login.maxCounters, config.login.attemptWindowMs);
  return { limiter: createAttemptLimiter(config, undefined, counters.make), counters };
}

describe('createAttemptLimiter (memory counters)', () => {
  it('refuses by address before it counts the name: a flood of made-up names leaves no counters past the limit', async () => {
    const { limiter, counters } = countedLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '10' }));

    const verdicts = [];
    for (let i = 0; i < 500; i++) verdicts.push((await limiter.attempt(`made-up-${i}`, IP)).allowed);

    expect(verdicts.filter(Boolean)).toHaveLength(10);
    expect(counters.size('login:user')).toBe(10);
    expect(counters.size()).toBe(11); // and the address's own
  });

  it('holds at most LOGIN_MAX_COUNTERS counters, evicting the least recently used', async () => {
    const { limiter, counters } = countedLimiter(testConfig({ LOGIN_MAX_COUNTERS: '50' }));

    for (let i = 0; i < 1000; i++) await limiter.attempt('alice', `198.51.${i >> 8}.${i & 255}`);

    expect(counters.size()).toBe(50);
  });

  it('counts every address of one IPv6 /64 as one client, and a mapped IPv4 as the IPv4', async () => {
    const { limiter } = countedLimiter(testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '3' }));

    const sameHost = [
      await limiter.attempt('a', '2001:db8:1:2::1'),
      await limiter.attempt('b', '2001:db8:1:2::2'),
      await limiter.attempt('c', '2001:db8:1:2:ffff::3'),
      await limiter.attempt('d', '2001:db8:1:2::4'),
    ].map((v) => v.allowed);
    await limiter.attempt('e', IP);
    await limiter.attempt('f', IP);
    await limiter.attempt('g', IP);
    const mapped = await limiter.attempt('h', `::ffff:${IP}`);

    expect(sameHost).toEqual([true, true, true, false]);
    expect((await limiter.attempt('a', '2001:db8:1:3::1')).allowed).toBe(true); // the next /64
    expect(mapped.allowed).toBe(false);
  });

  it('gives a reward back without creating a counter', async () => {
    const { limiter, counters } = countedLimiter(testConfig());

    await limiter.refund('nobody', IP);
    await limiter.refundSignup(IP);

    expect(counters.size()).toBe(0);
  });
});

describe('POST /login flood through a proxy', () => {
  it('keeps the counters at or below the cap when every request comes from a new address', async () => {
    const config = testConfig({ TRUST_PROXY: 'true', LOGIN_MAX_COUNTERS: '40' });
    const { limiter, counters } = countedLimiter(config);
    const { app } = buildApp({ config, limiter });

    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const res = await request(app)
        .post('/login')
        .set('X-Forwarded-For', `2001:db8:${i.toString(16)}::1`)
        .send({ username: `made-up-${i}`, password: 'not the password at all' });
      statuses.add(res.status);
    }

    expect([...statuses]).toEqual([401]);
    expect(counters.size()).toBeLessThanOrEqual(40);
  });
});
