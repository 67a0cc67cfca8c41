import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { storeKey } from '../src/stores/key';
import { buildApp, cookieFrom, sessionIdOf, signedSessionId, testConfig } from './helper';
import { isLoggedIn, logInAgent, otherHandle, PASSWORD, sessionsOf, signUpAgent } from './support/accounts';
import { call } from './support/callback';
import { logInCookie, shouldClearCookie } from './support/cookies';
import { GatedStore } from './support/gated-store';
import { asBrowser } from './support/http';
import { inProcessBackends } from './support/stores';

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe.each(inProcessBackends)('GET /sessions and revoking (%s store)', (_name, makeBackend) => {
  it('shows two clients of one user two sessions each, and one ends the other', async () => {
    const { app } = buildApp({ backend: makeBackend() });
    const a = await signUpAgent(app);
    const b = await logInAgent(app);

    const seenByA = await sessionsOf(a);
    const seenByB = await sessionsOf(b);
    const revoked = await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);

    expect(seenByA.map((s) => s.current).sort()).toEqual([false, true]);
    expect(seenByB.map((s) => s.current).sort()).toEqual([false, true]);
    expect(new Set(seenByA.map((s) => s.id))).toEqual(new Set(seenByB.map((s) => s.id)));
    for (const listed of seenByA) {
      expect(listed).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        current: expect.any(Boolean),
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        lastActiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        device: 'unknown device', // supertest sends no User-Agent
        ip: expect.stringMatching(LOOPBACK), // recorded at login
        persistent: false,
      });
    }
    expect(revoked.body).toEqual({ revoked: 1 });
    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
    expect(await sessionsOf(a)).toHaveLength(1);
  });

  it('signs out all other sessions of three; the current one stays logged in', async () => {
    const { app } = buildApp({ backend: makeBackend() });
    const a = await signUpAgent(app);
    const others = [await logInAgent(app), await logInAgent(app)];

    const res = await a.post('/sessions/revoke-others').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    expect(await isLoggedIn(a)).toBe(true);
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect((await sessionsOf(a)).map((s) => s.current)).toEqual([true]);
  });

  it('signs out everywhere with revoke-all, this session too, and clears the cache', async () => {
    const { app, users } = buildApp({ backend: makeBackend() });
    const a = await signUpAgent(app);
    const b = await logInAgent(app);

    const res = await a
      .post('/sessions/revoke-all')
      .expect(200)
      .expect(shouldClearCookie())
      .expect('Clear-Site-Data', '"cache"');

    expect(res.body).toEqual({ revoked: 2 });
    expect(await isLoggedIn(a)).toBe(false);
    expect(await isLoggedIn(b)).toBe(false);
    const alice = await users.findByUsername('alice');
    expect(await users.listLogins(alice?.id ?? 0, Date.now())).toEqual([]);
  });

  it('treats revoking the current handle as a logout', async () => {
    const { app } = buildApp({ backend: makeBackend() });
    const a = await signUpAgent(app);
    const own = (await sessionsOf(a))[0]?.id;

    const res = await a
      .post(`/sessions/${own}/revoke`)
      .expect(200)
      .expect(shouldClearCookie())
      .expect('Clear-Site-Data', '"cache"');

    expect(res.body).toEqual({ revoked: 1 });
    expect(await isLoggedIn(a)).toBe(false);
  });
});

describe('session handles', () => {
  it('gives another user’s handle and a made-up one the same 404', async () => {
    const { app } = buildApp();
    const alice = await signUpAgent(app, 'alice');
    const bob = await signUpAgent(app, 'bob');
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
    const alice = await signUpAgent(app);
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
    const cookie = cookieFrom(res);
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
  it('marks this device, has a Sign out button per other login, escapes what the login holds, no-store', async () => {
    const { app, users } = buildApp();
    const a = await signUpAgent(app);
    await logInAgent(app);
    const alice = await users.findByUsername('alice');
    // a login as a hostile User-Agent and address would have described it
    await users.startLogin(
      {
        userId: alice?.id ?? -1,
        createdAt: Date.now(),
        device: '<img src=x onerror=alert(1)>',
        ip: '"><b>',
        persistent: false,
      },
      20,
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
    const a = await signUpAgent(app);
    await logInAgent(app);
    const handle = await otherHandle(a);

    const one = await asBrowser(a.post(`/sessions/${handle}/revoke`));
    const others = await asBrowser(a.post('/sessions/revoke-others'));
    const all = await asBrowser(a.post('/sessions/revoke-all'));

    expect([one.status, one.headers.location]).toEqual([303, '/sessions']);
    expect([others.status, others.headers.location]).toEqual([303, '/sessions']);
    expect([all.status, all.headers.location]).toEqual([303, '/']);
  });

  it('refuses a cross-origin revoke before anything is looked up', async () => {
    const { app } = buildApp();
    const a = await signUpAgent(app);
    const b = await logInAgent(app);

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
    const a = await signUpAgent(app);
    await logInAgent(app);
    const handle = await otherHandle(a);
    now += 1000; // the window is over
    return { a, handle, app };
  };

  it('asks for the password once the window is over, before the handle is looked up', async () => {
    const { a, handle } = await stale();

    const known = await a.post(`/sessions/${handle}/revoke`);
    const madeUp = await a.post(`/sessions/${'B'.repeat(22)}/revoke`);
    const page = await asBrowser(a.post(`/sessions/${handle}/revoke`));

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

describe('a browser signed out from another device', () => {
  it('gets 401 as JSON and 303 to /login as a page, the notice once on its next GET /login, and keeps its count', async () => {
    const { app } = buildApp();
    const a = await signUpAgent(app);
    const b = request.agent(app);
    await b.get('/increment').expect(200, { count: 1 });
    await b.post('/login').send({ username: 'alice', password: PASSWORD }).expect(200);
    await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);

    const json = await b.get('/profile');
    const page = await b.get('/sessions').set('Accept', 'text/html');
    const form = await b.get('/login').set('Accept', 'text/html');
    const again = await b.get('/login').set('Accept', 'text/html');
    const count = await b.get('/increment');

    expect([json.status, json.body]).toEqual([401, { error: 'Login required' }]);
    expect([page.status, page.headers.location]).toEqual([303, '/login']);
    expect(form.text).toMatch(/<p role="status" id="notice">This browser was signed out/);
    expect(again.status).toBe(200);
    expect(again.text).not.toContain('id="notice"');
    expect(count.body).toEqual({ count: 2 });
  });

  it('acts on nothing: its revoke-others answers 401 and the other device stays signed in', async () => {
    const { app } = buildApp();
    const a = await signUpAgent(app);
    const b = await logInAgent(app);
    await a.post(`/sessions/${await otherHandle(a)}/revoke`).expect(200);

    const res = await b.post('/sessions/revoke-others');

    expect([res.status, res.body]).toEqual([401, { error: 'Login required' }]);
    expect(await isLoggedIn(a)).toBe(true);
  });
});

describe('a revoke racing the revoked session’s own request', () => {
  it('leaves the login ended when its in-flight /increment is saved after the revoke', async () => {
    const backend = new GatedStore({ maxSessions: 100 });
    const { app, users, store } = buildApp({ backend });
    const a = await signUpAgent(app);
    const bCookie = await logInCookie(app);
    const bKey = storeKey(sessionIdOf(bCookie));
    const handle = await otherHandle(a);
    backend.gatedSid = bKey;
    backend.gateWrites = true;
    const writeReached = new Promise<void>((resolve) => {
      const set = backend.set.bind(backend);
      backend.set = (key, session, cb) => {
        set(key, session, cb);
        if (key === bKey) resolve();
      };
    });

    const inFlight = request(app)
      .get('/increment')
      .set('Cookie', bCookie)
      .then((res) => res.body);
    await writeReached; // B's save is now held at the store
    await a.post(`/sessions/${handle}/revoke`).expect(200); // never waits for B's lock
    backend.open();

    expect(await inFlight).toEqual({ count: 1 });
    expect((await request(app).get('/profile').set('Cookie', bCookie)).status).toBe(401);
    // the late save brought back the session and its count, not the login
    expect(await call((cb) => store.get(sessionIdOf(bCookie), cb))).toMatchObject({ count: 1 });
    const alice = await users.findByUsername('alice');
    expect((await users.listLogins(alice?.id ?? 0, Date.now())).map((l) => l.id)).toEqual([
      (await sessionsOf(a))[0]?.id,
    ]);
  });
});
