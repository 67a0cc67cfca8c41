import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createAttemptLimiter } from '../src/login/throttle';
import type { RedisSessionStore } from '../src/stores/redis';
import { buildApp, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { call } from './support/callback';
import { listen } from './support/http';
import { connectedRedisStore, redisAvailable, startRedis } from './support/redis';

async function noevictionStore(args: string[], options: { maxSessions: number }) {
  const server = await startRedis(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction', ...args]);
  onTestFinished(() => server.close());
  const store = await connectedRedisStore(server.url, 'sess:', options);
  onTestFinished(() => store.close());
  return store;
}

/** n cookieless GET /increment, `parallel` at a time; the statuses seen, counted. */
async function flood(url: string, n: number, parallel = 16): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let sent = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (sent < n) {
        sent++;
        const res = await fetch(`${url}/increment`, { headers: { accept: 'application/json' } });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

const usedMemory = async (store: RedisSessionStore) =>
  Number(/used_memory:(\d+)/.exec(await store.client.info('memory'))?.[1]);

const session = (i: number) =>
  ({
    cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() },
    padding: 'x'.repeat(1000),
    i,
  }) as unknown as SessionData;

/** Saves 1 KB sessions s0, s1, … until Redis refuses one; how many it took, and the refusal. */
async function fill(store: RedisSessionStore): Promise<{ accepted: number; refusal: unknown }> {
  for (let accepted = 0; accepted < 20_000; accepted++) {
    const refusal = await call((cb) => store.set(`s${accepted}`, session(accepted), cb)).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (refusal !== undefined) return { accepted, refusal };
  }
  throw new Error('Redis never filled up');
}

describe.skipIf(!redisAvailable('redis flood tests'))('a session flood on a noeviction Redis', () => {
  it('keeps the login counters and new signups working: the cap ends old sessions, Redis evicts nothing', async () => {
    const store = await noevictionStore([], { maxSessions: 500 });
    const config = testConfig({ SESSION_STORE: 'redis', REDIS_MAX_SESSIONS: '500' });
    const limiter = createAttemptLimiter(config, store.client);
    const { app } = buildApp({ config, store, limiter });
    const server = await listen(app);
    onTestFinished(() => server.close());
    await request(app).post('/signup').send({ username: 'victim', password: PASSWORD }).expect(201);
    for (let i = 0; i < 5; i++)
      await request(app)
        .post('/login')
        .send({ username: 'victim', password: 'wrong guess here' })
        .expect(401);

    const statuses = await flood(server.url, 20_000);
    const sixth = await request(app)
      .post('/login')
      .send({ username: 'victim', password: 'wrong guess here' });
    const newcomer = await request(app).post('/signup').send({ username: 'newcomer', password: PASSWORD });

    expect(statuses).toEqual({ 200: 20_000 });
    expect(sixth.status).toBe(429);
    expect(newcomer.status).toBe(201);
    expect(await call((cb) => store.length(cb))).toBe(500);
    expect(await store.client.zCard('index:sess:active')).toBe(500);
    expect(await usedMemory(store)).toBeLessThan(4 * 1024 * 1024);
  }, 180_000);

  it('refuses new writes with a 503 at once when Redis is full, loses nothing, and keeps live sessions alive', async () => {
    const store = await noevictionStore([], { maxSessions: 1_000_000 });

    const { accepted, refusal } = await fill(store);
    const read = await call((cb) => store.get('s0', cb));
    const touch = call((cb) => store.touch('s0', session(0), cb));

    expect(refusal).toMatchObject({ status: 503, reason: expect.stringContaining('OOM') }); // refused, not timed out
    await expect(touch).resolves.toBeUndefined(); // live sessions stay alive
    expect(read).toMatchObject({ i: 0 }); // and readable
    expect(await call((cb) => store.length(cb))).toBe(accepted); // every accepted session is still there
  }, 60_000);

  it('answers new sessions and logins with a fast 503 through the app once Redis is full', async () => {
    const store = await noevictionStore([], { maxSessions: 1_000_000 });
    const config = testConfig({ SESSION_STORE: 'redis' });
    const { app } = buildApp({ config, store, limiter: createAttemptLimiter(config, store.client) });
    await request(app).post('/signup').send({ username: 'ann', password: PASSWORD }).expect(201);
    await fill(store);
    // and keep it full: right at the limit a freed reply buffer can let one small write through
    await store.client.configSet('maxmemory', String(Math.floor((await usedMemory(store)) / 2)));

    const visit = await request(app).get('/increment');
    const login = await request(app).post('/login').send({ username: 'ann', password: PASSWORD });

    expect(visit.status).toBe(503);
    expect(visit.body).toEqual({ error: 'Session store unavailable' });
    expect(login.status).toBe(503);
    expect(login.headers['retry-after']).toBe('1');
  }, 60_000);
});
