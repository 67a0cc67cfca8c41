import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie } from './helper';
import { call } from './support/callback';

const lengthOf = async (store: MemorySessionStore) => (await call<number>((cb) => store.length(cb))) ?? -1;

describe('MemorySessionStore', () => {
  it('never holds more sessions than its cap when cookieless clients flood /increment', async () => {
    const store = new MemorySessionStore({ maxSessions: 5 });
    const { app } = buildApp({ store });
    const sizes: number[] = [];

    for (let i = 0; i < 12; i++) {
      await request(app).get('/increment').expect(200);
      sizes.push(await lengthOf(store));
    }

    await store.close();
    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.at(-1)).toBe(5);
  });

  it('evicts the least recently used session, so an active one keeps its count', async () => {
    const store = new MemorySessionStore({ maxSessions: 3 });
    const { app } = buildApp({ store });
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';

    for (let i = 0; i < 6; i++) {
      await request(app).get('/increment').set('Cookie', cookie).expect(200); // keeps it recent
      await request(app).get('/increment').expect(200);
    }
    const res = await request(app).get('/increment').set('Cookie', cookie).expect(200);

    await store.close();
    expect(res.body.count).toBe(8);
  });
});
