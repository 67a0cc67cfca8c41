import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { storeKey } from '../src/stores/key';
import { buildApp, sessionCookie, sessionIdOf, signedSessionId, testConfig } from './helper';
import { isLoggedIn, loggedIn, otherHandle, PASSWORD, sessionsOf, signedUp } from './support/accounts';
import { call } from './support/callback';
import { logIn, shouldClearCookie } from './support/cookies';
import { GatedStore } from './support/gated-store';
import { asBrowser } from './support/http';
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

    const res = await a.post(`/sessions/${own}/revoke`).expect(200).expect(shouldClearCookie());

    expect(res.body).toEqual({ revoked: 1 });
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

    const one = await asBrowser(a.post(`/sessions/${handle}/revoke`));
    const others = await asBrowser(a.post('/sessions/revoke-others'));
    const all = await asBrowser(a.post('/sessions/revoke-all'));

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

describe('a revoke racing the revoked session’s own request', () => {
  it('leaves the session revoked when its in-flight /increment finishes after the revoke', async () => {
    const store = new GatedStore({ maxSessions: 100 });
    const { app, users } = buildApp({ store });
    const a = await signedUp(app);
    const bCookie = await logIn(app);
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
