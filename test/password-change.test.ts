import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/sqlite-file';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import type { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionStore } from '../src/stores/types';
import { SqliteUserStore } from '../src/users/sqlite';
import type { UserStore } from '../src/users/types';
import { buildApp, sessionCookie, sessionIdOf } from './helper';
import { isLoggedIn, loggedIn, NEW_PASSWORD, PASSWORD, signedUp } from './support/accounts';
import { call } from './support/callback';
import { logIn } from './support/cookies';
import { asBrowser } from './support/http';
import { indexedStores } from './support/stores';

const change = (agent: request.Agent, currentPassword = PASSWORD, newPassword = NEW_PASSWORD) =>
  agent.post('/password').send({ currentPassword, newPassword });
const loginStatus = async (app: Parameters<typeof request>[0], password: string) =>
  (await request(app).post('/login').send({ username: 'alice', password })).status;

describe.each(indexedStores)('POST /password (%s store)', (_name, makeStore) => {
  it('logs out the other sessions, moves this one to a new ID, and swaps the passwords', async () => {
    const { app, store } = buildApp({ store: makeStore() });
    const res = await request(app).post('/signup').send({ username: 'alice', password: PASSWORD });
    const before = sessionCookie(res) ?? '';
    const others = [await loggedIn(app), await loggedIn(app)];

    const changed = await request(app)
      .post('/password')
      .set('Cookie', before)
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
      .expect(200);
    const after = sessionCookie(changed) ?? '';

    expect(changed.body).toEqual({ message: 'Password changed' });
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));
    const moved = await call<SessionData>((cb) => store.get(sessionIdOf(after), cb as never));
    expect(moved?.previousIdPrefix).toBe(sessionIdOf(before).slice(0, 6));
    expect((await request(app).get('/profile').set('Cookie', after)).status).toBe(200);
    // the old ID is gone (its stragglers meet the lock's 409 for a while, as after a login)
    expect((await request(app).get('/profile').set('Cookie', before)).status).not.toBe(200);
    expect(await call((cb) => store.get(sessionIdOf(before), cb))).toBeNull();
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect(await loginStatus(app, PASSWORD)).toBe(401);
    expect(await loginStatus(app, NEW_PASSWORD)).toBe(200);
  });
});

describe('POST /password', () => {
  it('answers a wrong current password with 401, counted by the login throttle: 429 past it', async () => {
    const { app } = buildApp();
    const alice = await signedUp(app);

    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await change(alice, 'not my password')).status);
    const last = await change(alice, 'not my password');

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last.headers['retry-after']).toMatch(/^\d+$/);
    expect(await loginStatus(app, PASSWORD)).toBe(429); // the same counter as /login
  });

  it('shows a browser the password form again after a wrong current password', async () => {
    const { app } = buildApp();
    const alice = await signedUp(app);

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
    const alice = await signedUp(app);

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
    const alice = await signedUp(app);

    const form = await alice.get('/password').set('Accept', 'text/html').expect(200);
    const anonymous = await request(app)
      .post('/password')
      .send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });

    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.text).toContain('<form method="post" action="/password">');
    expect(anonymous.status).toBe(401);
  });
});

describe('the session generation', () => {
  // each store's index, made to miss one session by hand
  const forget: Record<string, (store: SessionStore, userId: number, key: string) => void> = {
    // biome-ignore lint/suspicious/noExplicitAny: reaching into the store's private index on purpose
    memory: (store, userId, key) => (store as any).index.remove(userId, key),
    sqlite: (store, _userId, key) =>
      (store as SqliteSessionStore).db.prepare('UPDATE sessions SET user_id = NULL WHERE sid = ?').run(key),
  };

  it.each(indexedStores)(
    'logs out a session the index missed, through the generation check (%s store)',
    async (name, makeStore) => {
      const { app, users, store } = buildApp({ store: makeStore() });
      const alice = await signedUp(app);
      const missedCookie = await logIn(app);
      const id = (await users.findByUsername('alice'))?.id ?? 0;
      forget[name]?.(store, id, storeKey(sessionIdOf(missedCookie)));
      expect(await store.listByUser(id)).toHaveLength(1); // the index no longer knows it is alice's

      await change(alice).expect(200);
      const missed = await request(app).get('/profile').set('Cookie', missedCookie);

      expect(missed.status).toBe(401);
      expect(await call((cb) => store.get(sessionIdOf(missedCookie), cb))).toBeNull(); // and destroyed
      expect(await isLoggedIn(alice)).toBe(true); // re-stamped with the new generation
    },
  );

  it('counts a session without a generation (from before it existed) as 0', async () => {
    const store = new MemorySessionStore({ maxSessions: 100 });
    const { app } = buildApp({ store });
    const alice = await signedUp(app);
    const old = await logIn(app);
    const sid = sessionIdOf(old);
    const stored = await call<Record<string, unknown>>((cb) => store.get(sid, cb as never));
    delete stored?.generation;
    await call((cb) => store.set(sid, stored as never, cb));

    const before = await request(app).get('/profile').set('Cookie', old);
    await alice.post('/sessions/revoke-others').expect(200);
    const after = await request(app).get('/profile').set('Cookie', old);

    expect(before.status).toBe(200);
    expect(after.status).toBe(401);
  });

  it('adds no user query: /profile reads the user once, /increment never', async () => {
    const counted = countingUsers(new SqliteUserStore(openDatabase(':memory:')));
    const { app } = buildApp({ users: counted.users });
    const alice = await signedUp(app);
    counted.reads = 0;

    await alice.get('/profile').expect(200);
    const afterProfile = counted.reads;
    await alice.get('/increment').expect(200);

    expect(afterProfile).toBe(1);
    expect(counted.reads).toBe(1);
  });
});

/** The user store, counting its reads. */
function countingUsers(real: UserStore) {
  const counted = { reads: 0, users: real };
  counted.users = {
    findById: (id) => {
      counted.reads++;
      return real.findById(id);
    },
    findByUsername: (name) => {
      counted.reads++;
      return real.findByUsername(name);
    },
    create: (user) => real.create(user),
    setPasswordHash: (id, hash) => real.setPasswordHash(id, hash),
    bumpGeneration: (id) => real.bumpGeneration(id),
    delete: (id) => real.delete(id),
  };
  return counted;
}
