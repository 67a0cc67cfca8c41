import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { openDatabase } from '../src/db';
import { storeKey } from '../src/stores/key';
import { MemorySessionStore } from '../src/stores/memory';
import type { SessionStore } from '../src/stores/types';
import { SqliteUserStore } from '../src/users/sqlite';
import { buildApp, sessionCookie, sessionIdOf, signedSessionId, testConfig } from './helper';
import { isLoggedIn, loggedIn, otherHandle, PASSWORD, sessionsOf, signedUp } from './support/accounts';
import { call } from './support/callback';
import { GatedStore } from './support/gated-store';
import { connectedRedisStore, type RedisServer, redisAvailable, startRedis } from './support/redis';
import { indexedStores } from './support/stores';

describe.each(indexedStores)('GET /sessions and revoking (%s store)', (_name, makeStore) => {
  it('shows two clients of one user two sessions each, and one ends the other', async () => {
    const { app } = buildApp({ store: makeStore() });
    const a = await signedUp(app);
    const b = await loggedIn(app);

    const seenByA = await sessionsOf(a);
    const seenByB = await sessionsOf(b);
    const revoked = await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);

    expect(seenByA.map((s) => s.current).sort()).toEqual([false, true]);
    expect(seenByB.map((s) => s.current).sort()).toEqual([false, true]);
    expect(new Set(seenByA.map((s) => s.id))).toEqual(new Set(seenByB.map((s) => s.id)));
    expect(seenByA[0]).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      current: expect.any(Boolean),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      lastActiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      device: expect.any(String),
      ip: seenByA[0]?.ip ?? null, // recorded at login where the login records it
      persistent: false,
    });
    expect(revoked.body).toEqual({ revoked: 1 });
    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
    expect(await sessionsOf(a)).toHaveLength(1);
  });

  it('signs out all other sessions of three; the current one stays logged in', async () => {
    const { app } = buildApp({ store: makeStore() });
    const a = await signedUp(app);
    const others = [await loggedIn(app), await loggedIn(app)];

    const res = await a.post('/sessions/revoke-others').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    expect(await isLoggedIn(a)).toBe(true);
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect((await sessionsOf(a)).map((s) => s.current)).toEqual([true]);
  });

  it('signs out everywhere with revoke-all, this session too', async () => {
    const { app, store, users } = buildApp({ store: makeStore() });
    const a = await signedUp(app);
    const b = await loggedIn(app);

    const res = await a.post('/sessions/revoke-all').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    expect(await isLoggedIn(a)).toBe(false);
    expect(await isLoggedIn(b)).toBe(false);
    const alice = await users.findByUsername('alice');
    expect(await store.listByUser(alice?.id ?? 0)).toEqual([]);
  });

  it('treats revoking the current handle as a logout', async () => {
    const { app } = buildApp({ store: makeStore() });
    const a = await signedUp(app);
    const own = (await sessionsOf(a))[0]?.id;

    const res = await a.post(`/sessions/${own}/revoke`).expect(200);

    expect(res.body).toEqual({ revoked: 1 });
    expect(res.headers['set-cookie']?.[0]).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await isLoggedIn(a)).toBe(false);
  });
});

describe('session handles', () => {
  it('gives another user’s handle and a made-up one the same 404', async () => {
    const { app } = buildApp();
    const alice = await signedUp(app, 'alice');
    const bob = await signedUp(app, 'bob');
    const bobsHandle = (await sessionsOf(bob))[0]?.id ?? '';

    const foreign = await alice.post(`/sessions/${bobsHandle}/revoke`);
    const madeUp = await alice.post(`/sessions/${'A'.repeat(22)}/revoke`);
    const malformed = await alice.post('/sessions/..%2F..%2Fx/revoke');

    for (const res of [foreign, madeUp, malformed]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Session not found' });
    }
    expect(await isLoggedIn(bob)).toBe(true);
  });

  it('is not a session ID: a handle sent as a cookie, signed or not, is no login', async () => {
    const { app, store } = buildApp();
    const alice = await signedUp(app);
    const handle = (await sessionsOf(alice))[0]?.id ?? '';

    const signed = await request(app)
      .get('/profile')
      .set('Cookie', `sid=${encodeURIComponent(signedSessionId(handle))}`);
    const raw = await request(app).get('/profile').set('Cookie', `sid=${handle}`);

    expect(signed.status).toBe(401);
    expect(raw.status).toBe(401);
    expect(await call((cb) => store.get(handle, cb))).toBeNull();
  });

  it('is stable for the session’s life and shows neither its ID nor its store key', async () => {
    const { app } = buildApp();
    const res = await request(app)
      .post('/signup')
      .send({ username: 'alice', password: 'correct horse battery staple' });
    const cookie = sessionCookie(res) ?? '';
    const sid = sessionIdOf(cookie);
    const list = () => request(app).get('/sessions').set('Cookie', cookie);

    const first = await list().expect(200);
    await request(app).get('/increment').set('Cookie', cookie).expect(200);
    const second = await list().set('Accept', 'text/html').expect(200);
    const again = await list().expect(200);

    expect(again.body.sessions[0].id).toBe(first.body.sessions[0].id);
    for (const text of [JSON.stringify(first.body), second.text]) {
      expect(text).not.toContain(sid);
      expect(text).not.toContain(storeKey(sid).slice(0, 16));
    }
  });
});

describe('GET /sessions as a page', () => {
  it('marks this device, has a Sign out button per other session, escapes what the session holds, no-store', async () => {
    const { app, store } = buildApp();
    const a = await signedUp(app);
    await loggedIn(app);
    // a session as a hostile User-Agent would have described it
    const now = Date.now();
    await call((cb) =>
      store.set(
        'planted-session-id',
        {
          cookie: { originalMaxAge: null, expires: new Date(now + 60_000) },
          userId: 1,
          loginAt: now,
          generation: 0,
          device: '<img src=x onerror=alert(1)>',
          ip: '"><b>',
        } as never,
        cb,
      ),
    );

    const res = await a.get('/sessions').set('Accept', 'text/html').expect(200);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.match(/this device/g)).toHaveLength(1);
    expect(res.text.match(/>Sign out<\/button>/g)).toHaveLength(2);
    expect(res.text).toContain('Sign out all other sessions');
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).not.toContain('"><b>');
    expect(res.text).not.toMatch(/<script|<style| style=/);
  });

  it('sends anonymous visitors to log in: 401 JSON, 303 for a browser', async () => {
    const { app } = buildApp();

    const json = await request(app).get('/sessions');
    const page = await request(app).get('/sessions').set('Accept', 'text/html');

    expect(json.status).toBe(401);
    expect(json.body).toEqual({ error: 'Login required' });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login');
  });

  it('answers the forms with 303: back to /sessions, or home after signing out everywhere', async () => {
    const { app } = buildApp();
    const a = await signedUp(app);
    await loggedIn(app);
    const handle = await otherHandle(a);

    const one = await a.post(`/sessions/${handle}/revoke`).type('form').set('Accept', 'text/html');
    const others = await a.post('/sessions/revoke-others').type('form').set('Accept', 'text/html');
    const all = await a.post('/sessions/revoke-all').type('form').set('Accept', 'text/html');

    expect([one.status, one.headers.location]).toEqual([303, '/sessions']);
    expect([others.status, others.headers.location]).toEqual([303, '/sessions']);
    expect([all.status, all.headers.location]).toEqual([303, '/']);
  });

  it('refuses a cross-origin revoke before anything is looked up', async () => {
    const { app } = buildApp();
    const a = await signedUp(app);
    const b = await loggedIn(app);

    const res = await a.post('/sessions/revoke-others').set('Sec-Fetch-Site', 'cross-site');

    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'Cross-origin request refused' });
    expect(await isLoggedIn(b)).toBe(true);
  });
});

describe('re-authentication', () => {
  const stale = async () => {
    let now = Date.parse('2026-12-01T08:00:00Z');
    const { app } = buildApp({ config: testConfig({ REAUTH_MAX_AGE_SECONDS: '1' }), clock: () => now });
    const a = await signedUp(app);
    await loggedIn(app);
    const handle = await otherHandle(a);
    now += 1000; // the window is over
    return { a, handle, app };
  };

  it('asks for the password once the window is over, before the handle is looked up', async () => {
    const { a, handle } = await stale();

    const known = await a.post(`/sessions/${handle}/revoke`);
    const madeUp = await a.post(`/sessions/${'B'.repeat(22)}/revoke`);
    const page = await a.post(`/sessions/${handle}/revoke`).type('form').set('Accept', 'text/html');

    for (const res of [known, madeUp]) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'Confirm your password' });
    }
    expect(page.status).toBe(403);
    expect(page.text).toContain(`action="/sessions/${handle}/revoke"`);
    expect(page.text).toMatch(/<input type="password" name="password"/);
  });

  it('takes the right password (200) and turns away a wrong one (401)', async () => {
    const { a, handle } = await stale();

    const wrong = await a.post(`/sessions/${handle}/revoke`).send({ password: 'not the password' });
    const right = await a
      .post(`/sessions/${handle}/revoke`)
      .send({ password: 'correct horse battery staple' });

    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'Wrong password' });
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ revoked: 1 });
  });

  it('counts wrong passwords against the login throttle: 429 past it', async () => {
    const { a, handle, app } = await stale();
    const guess = () => a.post(`/sessions/${handle}/revoke`).send({ password: 'a wrong guess' });

    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await guess()).status);
    const login = await request(app).post('/login').send({ username: 'alice', password: 'another guess' });

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(login.status).toBe(429);
  });

  it('lets a browser confirm through the form it was shown, then sends it back to /sessions', async () => {
    const { a } = await stale();
    const asBrowser = (req: request.Test) => req.type('form').set('Accept', 'text/html');

    const asked = await asBrowser(a.post('/sessions/revoke-others'));
    const confirmed = await asBrowser(a.post('/sessions/revoke-others')).send({ password: PASSWORD });

    expect(asked.status).toBe(403);
    expect(asked.text).toContain('action="/sessions/revoke-others"');
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/sessions');
    expect((await sessionsOf(a)).length).toBe(1);
  });

  it('opens a new window after a confirmed password', async () => {
    const { a } = await stale();

    await a.post('/sessions/revoke-others').send({ password: 'correct horse battery staple' }).expect(200);
    const next = await a.post('/sessions/revoke-others');

    expect(next.status).toBe(200);
  });
});

describe('a revoke racing the revoked session’s own request', () => {
  it('leaves the session revoked when its in-flight /increment finishes after the revoke', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app, users } = buildApp({ store });
    const a = await signedUp(app);
    const bCookie =
      sessionCookie(await request(app).post('/login').send({ username: 'alice', password: PASSWORD })) ?? '';
    const bSid = sessionIdOf(bCookie);
    const handle = await otherHandle(a);
    store.gatedSid = bSid;
    store.gateWrites = true;
    const writeReached = new Promise<void>((resolve) => {
      const set = store.set.bind(store);
      store.set = (sid, session, cb) => {
        set(sid, session, cb);
        if (sid === bSid) resolve();
      };
    });

    const inFlight = request(app)
      .get('/increment')
      .set('Cookie', bCookie)
      .then((res) => res.status);
    await writeReached; // B's save is now held at the store
    await a.post(`/sessions/${handle}/revoke`).expect(200); // never waits for B's lock
    store.open();
    await inFlight;

    expect((await request(app).get('/profile').set('Cookie', bCookie)).status).toBe(401);
    expect(await call((cb) => store.get(bSid, cb))).toBeNull();
    const alice = await users.findByUsername('alice');
    expect(await store.listByUser(alice?.id ?? 0)).toHaveLength(1);
  });
});

describe('keep me signed in', () => {
  const cookieHeader = (res: request.Response) => String(res.headers['set-cookie'] ?? '');

  it('gives a browser-session cookie unless asked, and a persistent one when asked', async () => {
    const { app } = buildApp();
    await signedUp(app);

    const plain = await request(app).post('/login').send({ username: 'alice', password: PASSWORD });
    const json = await request(app)
      .post('/login')
      .send({ username: 'alice', password: PASSWORD, remember: true });
    const form = await request(app)
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: PASSWORD, remember: '1' });
    const later = await request(app)
      .get('/increment')
      .set('Cookie', sessionCookie(plain) ?? '');

    expect(cookieHeader(plain)).not.toMatch(/Expires=|Max-Age=/);
    expect(cookieHeader(later)).not.toMatch(/Expires=|Max-Age=/); // rolling keeps it a browser-session cookie
    expect(cookieHeader(json)).toMatch(/Expires=/);
    expect(cookieHeader(form)).toMatch(/Expires=/);
  });

  it('shows which kind each session is, in JSON and on the page', async () => {
    const { app } = buildApp();
    const a = await signedUp(app);
    const kept = request.agent(app);
    await kept.post('/login').send({ username: 'alice', password: PASSWORD, remember: true }).expect(200);

    const list = await sessionsOf(a);
    const page = await a.get('/sessions').set('Accept', 'text/html');

    expect(list.find((s) => s.current)?.persistent).toBe(false);
    expect(list.find((s) => !s.current)?.persistent).toBe(true);
    expect(page.text).toContain('until the browser closes');
    expect(page.text).toContain('kept signed in');
  });

  it('still idles out on the server: a browser-session cookie’s session ends after the idle lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // express-session dates cookies with the global Date
    try {
      const start = Date.parse('2026-12-01T08:00:00Z');
      vi.setSystemTime(start);
      const config = testConfig({ SESSION_MAX_AGE_SECONDS: '600' });
      const store = new MemorySessionStore({ maxSessions: 100, ttlMs: config.session.maxAgeMs });
      const { app } = buildApp({ config, store, clock: () => start });
      const cookie =
        sessionCookie(await request(app).post('/signup').send({ username: 'alice', password: PASSWORD })) ??
        '';
      const profile = async (at: number) => {
        vi.setSystemTime(at);
        return (await request(app).get('/profile').set('Cookie', cookie)).status;
      };

      const statuses = [
        await profile(start + 500_000),
        await profile(start + 1_000_000),
        await profile(start + 1_601_000),
      ];

      expect(statuses).toEqual([200, 200, 401]);
    } finally {
      vi.useRealTimers();
    }
  });
});

const hasRedis = redisAvailable('your-sessions tests on Redis');

describe.skipIf(!hasRedis)('your sessions on two app instances sharing one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
    return () => redis.close();
  });

  /** Two instances: each its own store client and lock, one Redis and one user database between them. */
  async function twoInstances() {
    const users = new SqliteUserStore(openDatabase(':memory:'));
    const prefix = `sess:${randomUUID()}:`; // each test its own sessions in the shared Redis
    const stores = [
      await connectedRedisStore(redis.url, prefix),
      await connectedRedisStore(redis.url, prefix),
    ] as const;
    for (const store of stores) onTestFinished(() => store.close());
    const [one, two] = stores.map((store) => buildApp({ store, users }).app) as [Express, Express];
    return [one, two, stores] as const;
  }

  it('lets a client on one instance end the other client’s session, which the other instance then refuses', async () => {
    const [one, two] = await twoInstances();
    const a = await signedUp(one);
    const b = await loggedIn(two);

    const seenOnTwo = await sessionsOf(b);
    const handle = await otherHandle(a);
    await a.post(`/sessions/${handle}/revoke`).expect(200);

    expect(seenOnTwo).toHaveLength(2);
    expect(seenOnTwo.find((s) => !s.current)?.id).toBe((await sessionsOf(a))[0]?.id);
    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('signs out all the others across instances', async () => {
    const [one, two] = await twoInstances();
    const a = await signedUp(one);
    const others = [await loggedIn(two), await loggedIn(two)];

    const res = await a.post('/sessions/revoke-others').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('logs out the other instance’s sessions after a password change on this one', async () => {
    const [one, two] = await twoInstances();
    const a = await signedUp(one);
    const b = await loggedIn(two);

    await a
      .post('/password')
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })
      .expect(200);

    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
    const relogin = await request(two)
      .post('/login')
      .send({ username: 'alice', password: 'a brand new passphrase' });
    expect(relogin.status).toBe(200);
  });

  it('drops the late write of a session revoked on the other instance while its request was in flight', async () => {
    const [one, two, stores] = await twoInstances();
    const a = await signedUp(one);
    const bCookie =
      sessionCookie(await request(two).post('/login').send({ username: 'alice', password: PASSWORD })) ?? '';
    const handle = await otherHandle(a);
    const held = holdNextWrite(stores[1], sessionIdOf(bCookie));

    const inFlight = request(two)
      .get('/increment')
      .set('Cookie', bCookie)
      .then((res) => res.status);
    await held.reached; // B's save is now held on its way to Redis
    await a.post(`/sessions/${handle}/revoke`).expect(200);
    held.release();
    await inFlight;

    expect((await request(two).get('/profile').set('Cookie', bCookie)).status).toBe(401);
    expect(await call((cb) => stores[0].get(sessionIdOf(bCookie), cb))).toBeNull();
  });
});

/** Holds the store's next write of one session until release(); `reached` resolves when it arrives. */
function holdNextWrite(store: SessionStore, sid: string) {
  let release = () => {};
  let reached = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const set = store.set.bind(store);
  store.set = (id, session, cb) => {
    if (id !== sid) return set(id, session, cb);
    reached();
    gate.then(() => set(id, session, cb));
  };
  return { reached: arrived, release: () => release() };
}
