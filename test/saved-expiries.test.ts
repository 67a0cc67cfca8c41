import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SavedExpiries } from '../src/stores/expiry';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie, sessionIdOf } from './helper';
import { call } from './support/callback';

const until = (ms: number) => ({ count: 1, cookie: { originalMaxAge: null, expires: new Date(ms) } });

describe('SavedExpiries', () => {
  it('knows a touch of the object just saved, within the slack of its saved expiry, adds nothing', () => {
    const saved = new SavedExpiries(1000);
    const session = {};

    saved.remember(session, 10_000);

    expect(saved.unchanged(session, 10_000)).toBe(true);
    expect(saved.unchanged(session, 10_005)).toBe(true); // recomputed when the headers went out
    expect(saved.unchanged(session, 11_000)).toBe(false); // moved by the slack or more: renew
    expect(saved.unchanged(session, 9_000)).toBe(false); // moved earlier after the save
    expect(saved.unchanged({}, 10_000)).toBe(false); // another request's session object
  });
});

describe('MemorySessionStore touch after set', () => {
  it('still renews when the same session object is touched with a later expiry than it was saved with', async () => {
    let now = Date.now();
    const store = new MemorySessionStore({ maxSessions: 10, now: () => now });
    const session = until(now + 1000);
    await call((cb) => store.set('a', session as never, cb));

    session.cookie.expires = new Date(now + 60_000);
    await call((cb) => store.touch('a', session as never, cb));
    now += 1200;

    expect(await call((cb) => store.get('a', cb))).toMatchObject({ count: 1 });
    await store.close();
  });
});

describe('GET / with a session after the touch-after-save skip', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('still renews the idle timeout of a session a request only reads', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { app, store } = buildApp();
    const cookie = sessionCookie(await request(app).get('/increment')) ?? '';
    const later = Date.now() + 10 * 60_000;
    vi.setSystemTime(later);

    await request(app).get('/').set('Cookie', cookie).expect(200);

    // biome-ignore lint/suspicious/noExplicitAny: the stored expiry is what this test is about
    const entry = (store as any).cache.get(sessionIdOf(cookie)) as { expires: number };
    expect(entry.expires).toBeGreaterThanOrEqual(later + 86_400_000);
  });
});
