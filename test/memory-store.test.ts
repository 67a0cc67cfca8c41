import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBackends } from '../src/backends';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, cookieFrom, silentLogger, testConfig } from './helper';
import { call } from './support/callback';

const lengthOf = async (backend: MemorySessionStore) =>
  (await call<number>((cb) => backend.length(cb))) ?? -1;

describe('MemorySessionStore', () => {
  it('never holds more sessions than its cap when cookieless clients flood /increment', async () => {
    const backend = new MemorySessionStore({ maxSessions: 5 });
    const { app } = buildApp({ backend });
    const sizes: number[] = [];

    for (let i = 0; i < 12; i++) {
      await request(app).get('/increment').expect(200);
      sizes.push(await lengthOf(backend));
    }

    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.at(-1)).toBe(5);
  });

  it('evicts the least recently used session, so an active one keeps its count', async () => {
    const backend = new MemorySessionStore({ maxSessions: 3 });
    const { app } = buildApp({ backend });
    const cookie = cookieFrom(await request(app).get('/increment').expect(200));

    for (let i = 0; i < 6; i++) {
      await request(app).get('/increment').set('Cookie', cookie).expect(200); // keeps it recent
      await request(app).get('/increment').expect(200);
    }
    const res = await request(app).get('/increment').set('Cookie', cookie).expect(200);

    expect(res.body.count).toBe(8);
  });
});

describe('createBackends for SESSION_STORE=memory', () => {
  it('gives a cookie without an expiry the idle lifetime of SESSION_MAX_AGE_SECONDS', async () => {
    const config = testConfig({
      SESSION_STORE: 'memory',
      SESSION_MAX_AGE_SECONDS: '120',
      SQLITE_PATH: ':memory:',
    });
    const backends = await createBackends(config, silentLogger);
    onTestFinished(() => backends.close());
    const session = { cookie: { originalMaxAge: null, expires: null, path: '/' }, count: 1 };
    const before = Date.now();

    await call((cb) => backends.store.set('browser-session', session as unknown as SessionData, cb));

    const [listed] = (await backends.store.backend.recent(10)).sessions;
    expect(listed?.expiresAt).toBeGreaterThan(before + 119_000); // not the default day
    expect(listed?.expiresAt).toBeLessThan(Date.now() + 121_000);
  });
});
