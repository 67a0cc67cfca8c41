import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../scripts/lib/processes';
import { createRedisClient, redisError } from '../src/redis';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { storeKey } from '../src/stores/key';
import { RedisSessionStore } from '../src/stores/redis';
import { cookieFrom, memoryUsers, sessionIdOf, silentLogger, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { getJson, listen } from './support/http';
import {
  connectedRedisStore,
  nextReady,
  type RedisServer,
  redisAvailable,
  startRedis,
} from './support/redis';
import { redisApp } from './support/store-redis-app';

async function redis(): Promise<RedisServer> {
  const server = await startRedis();
  onTestFinished(() => server.close());
  return server;
}

async function connectedStore(url: string): Promise<RedisSessionStore> {
  const store = await connectedRedisStore(url, 'sess:', { ttlMs: 60_000 });
  onTestFinished(() => store.close());
  return store;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe.skipIf(!redisAvailable('redis store tests'))('RedisSessionStore', () => {
  it('lets two apps on two clients share one session', async () => {
    const server = await redis();
    const one = redisApp(await connectedStore(server.url));
    const two = redisApp(await connectedStore(server.url));

    const first = await request(one).get('/increment').expect(200);
    const cookie = cookieFrom(first);
    const second = await request(two).get('/increment').set('Cookie', cookie).expect(200);
    const third = await request(one).get('/increment').set('Cookie', cookie).expect(200);

    expect([first.body.count, second.body.count, third.body.count]).toEqual([1, 2, 3]);
  });

  it('counts 100 concurrent increments of one logged-in session on two instances, stored once', async () => {
    const server = await redis();
    const config = testConfig({ SESSION_STORE: 'redis' });
    const users = memoryUsers(config); // one user store for both instances, as PostgreSQL would be
    const urls: string[] = [];
    const stores: RedisSessionStore[] = [];
    for (let i = 0; i < 2; i++) {
      const store = await connectedStore(server.url);
      const http = await listen(redisApp(store, { config, users }));
      onTestFinished(() => http.close());
      urls.push(http.url);
      stores.push(store);
    }
    const signup = await request(urls[0] ?? '')
      .post('/signup')
      .send({ username: 'ann', password: PASSWORD })
      .expect(201);
    const cookie = cookieFrom(signup);

    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        getJson(`${urls[i % 2]}/increment`, cookie).then((r) => r.status),
      ),
    );
    const final = await getJson(`${urls[0]}/increment`, cookie);
    const { sessions } = (await stores[1]?.recent(10)) ?? { sessions: [] };

    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(final.body.count).toBe(101);
    expect(sessions.map((s) => s.key)).toEqual([storeKey(sessionIdOf(cookie))]);
  });

  it('answers 503 fast while Redis is stopped and serves again once it is back, without a restart', async () => {
    const server = await redis();
    const store = await connectedStore(server.url);
    const app = redisApp(store);
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    await server.stop();
    const down = await timed(() => request(app).get('/increment').set('Cookie', cookie));
    const notReady = await request(app).get('/readyz');
    const ready = nextReady(store.redis);
    await server.start();
    await ready;
    const back = await request(app).get('/increment').expect(200);
    const readyAgain = await request(app).get('/readyz');

    expect(down.result.status).toBe(503);
    expect(down.result.headers['retry-after']).toBe('1');
    expect(down.result.body).toEqual({ error: 'Session store unavailable' });
    expect(down.ms).toBeLessThan(1500);
    expect(notReady.status).toBe(503);
    expect(back.body.count).toBe(1); // redis ran without persistence, so the old session is gone
    expect(readyAgain.status).toBe(200);
  });

  it('answers 503 within about a second while Redis is connected but silent (SIGSTOP)', async () => {
    const server = await redis();
    const store = await connectedStore(server.url);
    const app = redisApp(store);
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    server.pause();
    const silent = await timed(() => request(app).get('/increment').set('Cookie', cookie));
    const notReady = await timed(() => request(app).get('/readyz'));
    server.resume();
    const back = await request(app).get('/increment').set('Cookie', cookie);

    expect(silent.result.status).toBe(503);
    expect(silent.ms).toBeLessThan(1500);
    expect(notReady.result.status).toBe(503);
    expect(notReady.ms).toBeLessThan(1500);
    expect(back.status).toBe(200);
    expect(back.body.count).toBe(2);
  });

  it('builds and starts while Redis is down: liveness 200, sessions and readiness 503', async () => {
    const port = await freePort(); // nothing listens there now
    const client = createRedisClient(`redis://127.0.0.1:${port}`, 1000, silentLogger);
    const store = new RedisSessionStore({
      client,
      prefix: 'sess:',
      maxSessions: 100,
      ttlMs: 60_000,
      timeoutMs: 1000,
    });
    onTestFinished(() => store.close());
    const app = redisApp(store);

    const live = await request(app).get('/healthz');
    const session = await timed(() => request(app).get('/increment'));
    const ready = await request(app).get('/readyz');

    expect(live.status).toBe(200);
    expect(session.result.status).toBe(503);
    expect(session.ms).toBeLessThan(1500);
    expect(ready.status).toBe(503);
  });

  it('closes twice without error, also after Redis has gone', async () => {
    const server = await redis();
    const store = await connectedStore(server.url);
    await server.stop();

    await store.close();
    await store.close();

    await expect(new HashedKeyStore(store, 1000, redisError).ping()).rejects.toMatchObject({ status: 503 });
  });
});
