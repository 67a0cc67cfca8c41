import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { heldStoreKeys, holdStoreKey, storeKey } from '../src/stores/key';
import { buildApp, sessionCookie } from './helper';

describe('storeKey held for a request', () => {
  it('gives the same key held or not, and forgets it when the last holder drops it', () => {
    const sid = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';
    const plain = storeKey(sid);
    const first = holdStoreKey(sid);
    const second = holdStoreKey(sid);

    first.drop();
    first.drop(); // twice is once
    const whileHeld = storeKey(sid);
    second.drop();

    expect([first.key, second.key, whileHeld]).toEqual([plain, plain, plain]);
    expect(heldStoreKeys()).toBe(0);
  });

  it('keeps no key once the requests carrying a cookie are answered', async () => {
    const { app } = buildApp();
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';

    await Promise.all([1, 2, 3].map(() => request(app).get('/increment').set('Cookie', cookie)));

    expect(heldStoreKeys()).toBe(0);
  });
});
