import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { storeKey } from '../src/stores/key';
import { buildApp, sessionCookie, sessionIdOf } from './helper';

// A guard for performance work on express-session's touch: skipping it must never stop a visit
// that only reads the session from renewing the idle timeout.
describe('GET / with a session', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews the idle timeout of a session it only reads', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { app, store } = buildApp();
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';
    const later = Date.now() + 10 * 60_000;
    vi.setSystemTime(later);

    await request(app).get('/').set('Cookie', cookie).expect(200);

    // biome-ignore lint/suspicious/noExplicitAny: the stored expiry is what this test is about
    const entry = (store as any).cache.get(storeKey(sessionIdOf(cookie))) as { expires: number };
    expect(entry.expires).toBeGreaterThanOrEqual(later + 86_400_000);
  });
});
