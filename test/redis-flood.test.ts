import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Config } from '../src/config';
import { redisError } from '../src/redis';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import type { RedisSessionStore } from '../src/stores/redis';
import { testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { call } from './support/callback';
import { listen } from './support/http';
import { connectedRedisStore, redisAvailable, startRedis } from './support/redis';
import { redisApp } from './support/store-redis-app';

const MAXMEMORY = 2 * 1024 * 1024; // an empty Redis uses about 1 MB: room for a few thousand sessions

/** A backend on its own small Redis that refuses writes when full rather than evict anything. */
async function noevictionBackend(maxSessions: number): Promise<RedisSessionStore> {
  const server = await startRedis(['--maxmemory', String(MAXMEMORY), '--maxmemory-policy', 'noeviction']);
  onTestFinished(() => server.close());
  const backend = await connectedRedisStore(server.url, 'sess:', { maxSessions });
  onTestFinished(() => backend.close());
  return backend;
}

/** n cookieless GET /increment, `parallel` at a time, each from its own address; the statuses seen, counted. */
async function flood(url: string, n: number, parallel = 16): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let sent = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (sent < n) {
        const i = sent++;
        const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const res = await fetch(`${url}/increment`, {
          headers: { accept: 'application/json', 'x-forwarded-for': address },
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

const info = async (backend: RedisSessionStore, section: string, field: string) =>
  /\d+/.exec(new RegExp(`${field}[:=][^\\r\\n]*`).exec(await backend.redis.info(section))?.[0] ?? '')?.[0];

const session = (i: number) =>
  ({
    cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() },
    padding: 'x'.repeat(1000),
    i,
  }) as unknown as SessionData;

/** Saves 1 KB sessions s0, s1, … until Redis refuses one; how many it took, and the refusal. */
async function fill(store: HashedKeyStore): Promise<{ accepted: number; refusal: unknown }> {
  for (let accepted = 0; accepted < 20_000; accepted++) {
    const refusal = await call((cb) => store.set(`s${accepted}`, session(accepted), cb)).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (refusal !== undefined) return { accepted, refusal };
  }
  throw new Error('Redis never filled up');
}

const login = (app: Parameters<typeof request>[0], username: string, password: string) =>
  request(app).post('/login').set('X-Forwarded-For', '192.0.2.7').send({ username, password });

describe.skipIf(!redisAvailable('redis flood tests'))('a session flood on a small noeviction Redis', () => {
  it('keeps logins, signups and the login counters working: the cap ends old sessions, Redis refuses nothing', async () => {
    const backend = await noevictionBackend(500);
    const config: Config = testConfig({
      SESSION_STORE: 'redis',
      REDIS_MAX_SESSIONS: '500',
      TRUST_PROXY: 'true',
    });
    const app = redisApp(backend, { config });
    const server = await listen(app);
    onTestFinished(() => server.close());
    await request(app).post('/signup').send({ username: 'victim', password: PASSWORD }).expect(201);
    for (let i = 0; i < 5; i++) await login(app, 'victim', 'wrong guess here').expect(401);

    const statuses = await flood(server.url, 6000); // uncapped, these would fill the 2 MB
    const sixth = await login(app, 'victim', 'wrong guess here');
    const newcomer = await request(app).post('/signup').send({ username: 'newcomer', password: PASSWORD });
    const newcomerAgain = await login(app, 'newcomer', PASSWORD);

    expect(statuses).toEqual({ 200: 6000 });
    expect(sixth.status).toBe(429); // the counter of the five wrong guesses is still there
    expect(newcomer.status).toBe(201);
    expect(newcomerAgain.status).toBe(200);
    expect(await call((cb) => backend.length(cb))).toBe(500);
    expect(await backend.redis.zCard('cap:sess:')).toBe(500);
    expect(await info(backend, 'stats', 'evicted_keys')).toBe('0');
    expect(await info(backend, 'errorstats', 'errorstat_OOM')).toBeUndefined(); // no write was refused
    expect(Number(await info(backend, 'memory', 'used_memory'))).toBeLessThan(MAXMEMORY);
  }, 120_000);

  it('refuses new writes with a 503 at once when Redis is full, loses nothing, and keeps live sessions alive', async () => {
    const backend = await noevictionBackend(1_000_000);
    const store = new HashedKeyStore(backend, 1000, redisError);

    const { accepted, refusal } = await fill(store);
    const read = await call((cb) => store.get('s0', cb));
    const touch = call((cb) => store.touch('s0', session(0), cb));

    expect(refusal).toMatchObject({ status: 503, reason: expect.stringContaining('OOM') }); // refused, not timed out
    await expect(touch).resolves.toBeUndefined(); // live sessions stay alive
    expect(read).toMatchObject({ i: 0 }); // and readable
    expect(await call((cb) => backend.length(cb))).toBe(accepted); // every accepted session is still there
  }, 60_000);

  it('answers new sessions and logins with a fast 503 through the app once Redis is full', async () => {
    const backend = await noevictionBackend(1_000_000);
    const app = redisApp(backend);
    await request(app).post('/signup').send({ username: 'ann', password: PASSWORD }).expect(201);
    await fill(new HashedKeyStore(backend, 1000, redisError));
    // and keep it full: right at the limit a freed reply buffer can let one small write through
    await backend.redis.configSet(
      'maxmemory',
      String(Math.floor(Number(await info(backend, 'memory', 'used_memory')) / 2)),
    );

    const visit = await request(app).get('/increment');
    const refused = await request(app).post('/login').send({ username: 'ann', password: PASSWORD });

    expect(visit.status).toBe(503);
    expect(visit.body).toEqual({ error: 'Session store unavailable' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
  }, 60_000);
});
