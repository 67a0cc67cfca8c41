import request from 'supertest';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createApp } from '../src/app';
import { RedisLock } from '../src/lock/redis';
import { SessionBusyError } from '../src/lock/types';
import type { ScriptClient } from '../src/redis';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { storeKey } from '../src/stores/key';
import type { RedisSessionStore } from '../src/stores/redis';
import { cookieFrom, memoryUsers, sessionIdOf, silentLogger, testConfig } from './helper';
import { GatedStore } from './support/gated-store';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';
import { redisApp, redisLockOn } from './support/store-redis-app';

describe.skipIf(!redisAvailable('redis lock tests'))('RedisLock', () => {
  const redis = useRedis();

  async function client(): Promise<RedisSessionStore> {
    const store = await connectedRedisStore(redis.url);
    onTestFinished(() => store.close());
    return store;
  }

  const lockOn = (store: RedisSessionStore, config = testConfig({ LOCK_TTL_MS: '300' })) =>
    redisLockOn(store, config);

  it('frees a session whose holder died mid-request once the lock expires', async () => {
    const config = testConfig({ SESSION_STORE: 'redis', LOCK_TTL_MS: '300', LOCK_WAIT_MS: '3000' });
    const dying = await client();
    const gated = new GatedStore({ maxSessions: 10 }); // only to stop app one mid-request
    const one = createApp({
      config,
      store: new HashedKeyStore(gated, config.store.timeoutMs),
      users: memoryUsers(config),
      lock: lockOn(dying, config),
      logger: silentLogger,
    });
    const two = await client();
    const appTwo = redisApp(two, { config });
    const cookie = cookieFrom(await request(appTwo).get('/increment').expect(200));
    gated.gatedSid = sessionIdOf(cookie);
    request(one)
      .get('/increment')
      .set('Cookie', cookie)
      .then(
        () => {},
        () => {},
      );
    await gated.reached; // app one holds the lock, stuck in the store

    dying.redis.destroy(); // the holder "crashes": it neither releases nor renews
    const left = await two.redis.pTTL(`lock:sess:${storeKey(sessionIdOf(cookie))}`);
    const started = Date.now();
    const res = await request(appTwo).get('/increment').set('Cookie', cookie);

    expect(left).toBeGreaterThan(0); // the dead holder's lock was there
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(left - 30); // it waited for the expiry
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
    let sets = 0;
    let inFlight = 0;
    let most = 0;
    const counting: ScriptClient = {
      async sendCommand<T>(args: string[]): Promise<T> {
        const isSet = args[0] === 'SET';
        if (isSet) {
          sets++;
          most = Math.max(most, ++inFlight);
        }
        try {
          return await polling.redis.sendCommand<T>(args);
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
    await vi.waitFor(() => expect(sets).toBeGreaterThanOrEqual(5)); // they have polled a while
    release();
    await Promise.all(queued);

    expect(most).toBe(1);
  });

  it('keeps lock keys outside the session prefix and removes them on release', async () => {
    const store = await client();
    const release = await lockOn(store).acquire('abc');

    expect(await store.redis.keys('lock:sess:*')).toEqual(['lock:sess:abc']);
    release();
    await vi.waitFor(async () => expect(await store.redis.exists('lock:sess:abc')).toBe(0));
  });

  it('releases by script hash, and sends the script again once Redis has forgotten it', async () => {
    const store = await client();
    const lock = lockOn(store, testConfig({ LOCK_TTL_MS: '30000' })); // would outlive the test unreleased
    (await lock.acquire('first'))(); // Redis learns the release script
    await vi.waitFor(async () => expect(await store.redis.exists('lock:sess:first')).toBe(0));
    const release = await lock.acquire('second');
    await store.redis.sendCommand(['SCRIPT', 'FLUSH']); // as a Redis restart does

    release();

    await vi.waitFor(async () => expect(await store.redis.exists('lock:sess:second')).toBe(0));
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
