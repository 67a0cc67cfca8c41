import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { UserStore } from '../src/users/types';
import { buildApp, cookieFrom, memoryUsers, sessionIdOf, testConfig } from './helper';
import { isLoggedIn, logInAgent, NEW_PASSWORD, otherHandle, PASSWORD, signUpAgent } from './support/accounts';
import { call } from './support/callback';
import { holdableHasher } from './support/hasher';
import { asBrowser } from './support/http';
import { inProcessBackends } from './support/stores';

const change = (agent: request.Agent, currentPassword = PASSWORD, newPassword = NEW_PASSWORD) =>
  agent.post('/password').send({ currentPassword, newPassword });
const loginStatus = async (app: Parameters<typeof request>[0], password: string) =>
  (await request(app).post('/login').send({ username: 'alice', password })).status;

describe.each(inProcessBackends)('POST /password (%s store)', (_name, makeBackend) => {
  it('ends the other logins, moves this session to a new ID with its count and login, and swaps the passwords', async () => {
    const { app, store } = buildApp({ backend: makeBackend() });
    const before = cookieFrom(
      await request(app).post('/signup').send({ username: 'alice', password: PASSWORD }),
    );
    await request(app).get('/increment').set('Cookie', before).expect(200, { count: 1 });
    const stored = await call<{ loginId?: string }>((cb) => store.get(sessionIdOf(before), cb as never));
    const others = [await logInAgent(app), await logInAgent(app)];

    const changed = await request(app)
      .post('/password')
      .set('Cookie', before)
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(200);
    const after = cookieFrom(changed);

    expect(changed.body).toEqual({ message: 'Password changed', signedOutElsewhere: 2 });
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));
    expect(await call((cb) => store.get(sessionIdOf(after), cb))).toMatchObject({
      count: 1,
      loginId: stored?.loginId,
      previousIdPrefix: sessionIdOf(before).slice(0, 6),
    });
    expect(await call((cb) => store.get(sessionIdOf(before), cb))).toBeNull(); // a copy of the old cookie is worthless
    expect((await request(app).get('/profile').set('Cookie', before)).status).toBe(401);
    expect((await request(app).get('/profile').set('Cookie', after)).status).toBe(200);
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect(await loginStatus(app, PASSWORD)).toBe(401);
    expect(await loginStatus(app, NEW_PASSWORD)).toBe(200);
  });
});

describe('POST /password', () => {
  it('answers a wrong current password with 401, counted by the login throttle: 429 past it', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await change(alice, 'not my password')).status);
    const last = await change(alice, 'not my password');

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last.headers['retry-after']).toMatch(/^\d+$/);
    expect(await loginStatus(app, PASSWORD)).toBe(429); // the same counter as /login
  });

  it('shows a browser the password form again after a wrong current password', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const res = await asBrowser(alice.post('/password')).send({
      currentPassword: 'not my password',
      newPassword: NEW_PASSWORD,
    });

    expect(res.status).toBe(401);
    expect(res.text).toContain('Current password is wrong');
    expect(res.text).toContain('name="currentPassword"');
  });

  it('says what is wrong with each field: 400, and nothing changes', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const res = await alice.post('/password').send({ newPassword: 'short' });
    const page = await asBrowser(alice.post('/password')).send({ currentPassword: PASSWORD });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'Invalid input',
      fields: {
        currentPassword: 'Current password is required',
        newPassword: expect.stringMatching(/^New password must be at least \d+ characters$/),
      },
    });
    expect(page.status).toBe(400);
    expect(page.text).toContain('New password is required');
    expect(await loginStatus(app, PASSWORD)).toBe(200);
  });

  it('serves the form no-store to a logged-in user and sends others to log in', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app);

    const form = await alice.get('/password').set('Accept', 'text/html').expect(200);
    const anonymous = await request(app)
      .post('/password')
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });

    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.text).toContain('<form method="post" action="/password">');
    expect(anonymous.status).toBe(401);
  });

  it('changes nothing for a login ended on another device while its change was being hashed: 401', async () => {
    const { hasher, holdNext } = holdableHasher();
    const { app } = buildApp({ hasher });
    const a = await signUpAgent(app);
    const b = await logInAgent(app);
    const hold = holdNext('hash');

    const changing = change(b).then((res) => res); // past requireLogin and the password check, then held
    await hold.reached;
    await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);
    hold.release();
    const res = await changing;

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'Login required' });
    expect(await loginStatus(app, PASSWORD)).toBe(200); // the password is unchanged
    expect(await isLoggedIn(a)).toBe(true); // and A's login was not ended by B's change
    expect(await isLoggedIn(b)).toBe(false);
  });
});

describe('the login a request carries', () => {
  it('is read once with its user by /profile, and never by /increment', async () => {
    const counted = countingUsers(memoryUsers(testConfig()));
    const { app } = buildApp({ users: counted.users });
    const alice = await signUpAgent(app);
    counted.calls.length = 0;

    await alice.get('/profile').expect(200);
    const byProfile = [...counted.calls];
    await alice.get('/increment').expect(200);

    expect(byProfile).toEqual(['findLogin']);
    expect(counted.calls).toEqual(['findLogin']);
  });
});

/** The user store, recording the name of each method called. */
function countingUsers(real: UserStore) {
  const calls: string[] = [];
  const users = new Proxy(real, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
  return { users, calls };
}
