import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastActiveAt } from '../src/login/user-sessions';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { logIn, signUp } from './support/cookies';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function appWithCap(max: number) {
  const store = new MemorySessionStore({ maxSessions: 100 });
  const built = buildApp({ store, config: testConfig({ MAX_SESSIONS_PER_USER: String(max) }) });
  const signup = async () => signUp(built.app, 'ann');
  const login = async () => logIn(built.app, 'ann');
  const whoIs = async (cookie: string) => (await request(built.app).get('/').set('Cookie', cookie)).body.user;
  return { ...built, store, signup, login, whoIs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('POST /login and /signup, the session they start', () => {
  it('records the IP, the device and the time of the password entry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { app, store, config } = buildApp();
    const before = Date.now();

    const res = await request(app)
      .post('/signup')
      .set('User-Agent', CHROME_LINUX)
      .send({ username: 'ann', password: PASSWORD })
      .expect(201);

    const [listed] = await store.listByUser(1);
    if (!listed) throw new Error('the signup left no session in the index');
    expect(listed.key).toBe(storeKey(sessionIdOf(sessionCookie(res) ?? '')));
    expect(listed.data).toMatchObject({ device: 'Chrome 131 on Linux', authAt: before, loginAt: before });
    expect(listed.data.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    expect(lastActiveAt(listed, config.session.maxAgeMs)).toBe(before); // from the expiry, no extra write
  });

  it('says "unknown device" for a client without a User-Agent', async () => {
    const { app, store } = buildApp();

    await request(app)
      .post('/signup')
      .unset('User-Agent')
      .send({ username: 'ann', password: PASSWORD })
      .expect(201);

    expect((await store.listByUser(1))[0]?.data.device).toBe('unknown device');
  });
});

describe('POST /login past MAX_SESSIONS_PER_USER', () => {
  it("ends the user's least recently active session and keeps the rest", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { store, signup, login, whoIs } = appWithCap(2);
    const first = await signup();
    vi.advanceTimersByTime(1000);
    const second = await login();
    vi.advanceTimersByTime(1000);
    await whoIs(first); // active again: now the second is the least recently active
    vi.advanceTimersByTime(1000);

    const third = await login();

    const live = (await store.listByUser(1)).map((s) => s.key).sort();
    expect(live).toEqual([first, third].map((c) => storeKey(sessionIdOf(c))).sort());
    expect(await whoIs(second)).toBeNull();
    expect(await whoIs(first)).toEqual({ username: 'ann' });
  });

  it('never ends the session that is logging in, even at a cap of one', async () => {
    const { store, signup, login, whoIs } = appWithCap(1);
    const first = await signup();

    const second = await login();

    expect((await store.listByUser(1)).map((s) => s.key)).toEqual([storeKey(sessionIdOf(second))]);
    expect(await whoIs(first)).toBeNull();
    expect(await whoIs(second)).toEqual({ username: 'ann' });
  });
});
