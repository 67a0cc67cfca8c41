import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, cookieFrom, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { call } from './support/callback';
import { countingHasher } from './support/hasher';
import { asBrowser } from './support/http';

type Agent = ReturnType<typeof request.agent>;

const signup = (agent: Agent, username = 'alice', password = PASSWORD) =>
  agent.post('/signup').send({ username, password });
const login = (agent: Agent, username = 'alice', password = PASSWORD) =>
  agent.post('/login').send({ username, password });

describe('POST /signup', () => {
  it('creates the user and logs them in: profile, logout, then profile is 401', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);

    const created = await signup(agent).expect(201);
    const profile = await agent.get('/profile').expect(200);
    const out = await agent.post('/logout').expect(200);
    const after = await agent.get('/profile');

    expect(created.body).toEqual({ user: { username: 'alice' } });
    expect(profile.body.user).toEqual({ username: 'alice' });
    expect(Date.parse(profile.body.loginAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(profile.headers['cache-control']).toBe('no-store');
    expect(out.body).toEqual({ message: 'Logged out' });
    expect(out.headers['clear-site-data']).toBe('"cache"');
    expect(out.headers['set-cookie']?.[0]).toMatch(
      /^sid=;.*Expires=Thu, 01 Jan 1970.*HttpOnly.*SameSite=Lax/,
    );
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: 'Login required' });
  });

  it('lowercases ASCII letters and answers 409 for a taken name in any case', async () => {
    const { app } = buildApp();

    const first = await signup(request(app), 'Alice.B-1_').expect(201);
    const again = await signup(request(app), 'ALICE.b-1_');

    expect(first.body.user.username).toBe('alice.b-1_');
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'Username is taken' });
  });

  it('stores a hash that is not the password and names its algorithm and parameters', async () => {
    const { app, users } = buildApp();

    await signup(request(app)).expect(201);

    const user = await users.findByUsername('alice');
    expect(user?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$[^$]+\$[^$]+$/);
    expect(user?.passwordHash).not.toContain(PASSWORD);
  });

  it('answers 400 with a message per field for a bad name and a short password', async () => {
    const { app } = buildApp();

    const res = await signup(request(app), 'a!', 'short').expect(400);

    expect(res.body.error).toBe('Invalid input');
    expect(res.body.fields.username).toMatch(/3 to 32 characters/);
    expect(res.body.fields.password).toBe('Password must be at least 15 characters');
  });

  it('refuses non-ASCII look-alikes instead of folding them (the Kelvin sign is not k)', async () => {
    const { app } = buildApp();

    const res = await signup(request(app), '\u212Aate').expect(400);

    expect(res.body.fields).toEqual({
      username: expect.stringMatching(/^Username must be 3 to 32 characters/),
    });
  });
});

describe('POST /login', () => {
  it('moves the visitor to a new session ID, keeps the count, and the old cookie gets nothing', async () => {
    const { app, store } = buildApp();
    await signup(request(app)).expect(201);
    const agent = request.agent(app);
    await agent.get('/increment');
    const before = cookieFrom(await agent.get('/increment'));

    const res = await login(agent).expect(200);

    const after = cookieFrom(res);
    expect(res.body).toEqual({ user: { username: 'alice' } });
    expect(sessionIdOf(after)).not.toBe(sessionIdOf(before));
    expect(await call((cb) => store.get(sessionIdOf(before), cb))).toBeNull();
    expect((await request(app).get('/profile').set('Cookie', before)).status).toBe(401); // anonymous
    expect((await request(app).get('/increment').set('Cookie', before)).body).toEqual({ count: 1 }); // a new visitor
    expect((await agent.get('/increment')).body.count).toBe(3);
    expect((await agent.get('/profile')).status).toBe(200);
  });

  it('answers an unknown user and a wrong password identically, hashing exactly once each', async () => {
    const hasher = countingHasher();
    const { app } = buildApp({ hasher });
    await signup(request(app)).expect(201);
    hasher.hashes = 0;

    const wrong = await login(request(app), 'alice', `${PASSWORD}x`);
    const afterWrong = hasher.verifies;
    const unknown = await login(request(app), 'nobody', PASSWORD);
    const afterUnknown = hasher.verifies;

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.text).toBe(wrong.text);
    expect(wrong.body).toEqual({ error: 'Invalid username or password' });
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect([afterWrong, afterUnknown - afterWrong, hasher.hashes]).toEqual([1, 1, 0]);
  });

  it('gives a browser the form again with the same 401 message', async () => {
    const { app } = buildApp();

    const res = await asBrowser(request(app).post('/login'))
      .send({ username: 'nobody', password: PASSWORD })
      .expect(401);

    expect(res.text).toContain('Invalid username or password');
    expect(res.text).toContain('value="nobody"');
    expect(res.text).not.toContain(PASSWORD);
  });

  it('throttles the 6th attempt with 429 and Retry-After without checking the password', async () => {
    const hasher = countingHasher();
    const { app } = buildApp({ hasher });
    await signup(request(app)).expect(201);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await login(request(app), 'alice', 'wrong password here')).status);
    const verifies = hasher.verifies;

    const sixth = await login(request(app), 'alice', PASSWORD);

    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(800);
    expect(hasher.verifies).toBe(verifies);
    expect(sixth.headers['set-cookie']).toBeUndefined();
  });

  it('throttles unknown usernames the same way', async () => {
    const { app } = buildApp();
    const statuses: number[] = [];

    for (let i = 0; i < 6; i++) statuses.push((await login(request(app), 'nobody')).status);

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('starts the count again after a successful login', async () => {
    const { app } = buildApp();
    await signup(request(app)).expect(201);
    for (let i = 0; i < 4; i++) await login(request(app), 'alice', 'wrong password here').expect(401);

    await login(request(app)).expect(200);

    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await login(request(app), 'alice', 'wrong password here')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('limits one client IP across usernames with the looser per-IP limit', async () => {
    const { app } = buildApp({ config: testConfig({ LOGIN_MAX_ATTEMPTS_PER_IP: '3' }) });
    const statuses: number[] = [];

    for (const name of ['ann', 'ben', 'cat', 'dan']) statuses.push((await login(request(app), name)).status);

    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('answers 503 when the attempt counter is unavailable, without hashing', async () => {
    const hasher = countingHasher();
    const limiter = {
      attempt: () => Promise.reject(new StoreUnavailableError()),
      succeeded: async () => {},
      refund: async () => {},
      signup: async () => ({ allowed: true as const }),
      refundSignup: async () => {},
    };
    const { app } = buildApp({ hasher, limiter });

    const res = await login(request(app));

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(hasher.verifies).toBe(0);
  });

  it('does not log in when the store cannot destroy the old session (regenerate fails)', async () => {
    class FailingDestroy extends MemorySessionStore {
      override destroy(_sid: string, cb?: (err?: unknown) => void) {
        cb?.(new Error('disk on fire'));
      }
    }
    const { app } = buildApp({ backend: new FailingDestroy({ maxSessions: 100 }) });
    await signup(request(app)).expect(500);
    const agent = request.agent(app);

    const res = await login(agent);

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'Internal Server Error' });
    expect((await agent.get('/profile')).status).toBe(401);
  });
});

describe('POST /logout', () => {
  it('ends the login and destroys the session: replaying the old cookie is anonymous', async () => {
    const { app, store, users } = buildApp();
    const agent = request.agent(app);
    const cookie = cookieFrom(await signup(agent).expect(201));
    const alice = await users.findByUsername('alice');

    const out = await agent.post('/logout').expect(200);

    const replay = await request(app).get('/profile').set('Cookie', cookie);
    expect(out.headers['clear-site-data']).toBe('"cache"'); // the browser drops the signed-in pages it cached
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: 'Login required' }); // not "signed out elsewhere": nothing to tell
    expect(await call((cb) => store.get(sessionIdOf(cookie), cb))).toBeNull();
    expect(await users.listLogins(alice?.id ?? -1, Date.now())).toEqual([]);
  });

  it('sends a browser home with 303', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await signup(agent).expect(201);

    const res = await agent.post('/logout').set('Accept', 'text/html').expect(303);

    expect(res.headers.location).toBe('/?logged-out');
    expect(res.headers['clear-site-data']).toBe('"cache"');
    expect((await agent.get('/profile')).status).toBe(401);
  });

  it('is not reachable with GET: 405 with Allow: POST, and the user stays logged in', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await signup(agent).expect(201);

    const res = await agent.get('/logout').expect(405);

    expect(res.headers.allow).toBe('POST');
    expect((await agent.get('/profile')).status).toBe(200);
  });
});

describe('GET /profile', () => {
  it('sends an anonymous browser to /login with 303 and a JSON client gets 401', async () => {
    const { app } = buildApp();

    const browser = await request(app).get('/profile').set('Accept', 'text/html').expect(303);
    const client = await request(app).get('/profile').expect(401);

    expect(browser.headers.location).toBe('/login');
    expect(client.body).toEqual({ error: 'Login required' });
  });

  it('shows the session ID before and after the login side by side, and the count it kept', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    const before = sessionIdOf(cookieFrom(await agent.get('/increment').expect(200)));
    const after = sessionIdOf(cookieFrom(await signup(agent).expect(201)));

    const page = await agent.get('/profile').set('Accept', 'text/html').expect(200);

    expect(before).not.toBe(after);
    const change = /<p id="id-change">([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? '';
    expect(change).toContain(`from <code>${before.slice(0, 6)}</code> to\n<code>${after.slice(0, 6)}</code>`);
    expect(change).toContain('Your count (1) came along.');
    expect(page.text).not.toContain(after); // never the whole ID
  });

  it('ends a login at its absolute lifetime even while the session is in use', async () => {
    let now = Date.parse('2026-11-26T08:00:00Z');
    const { app, config } = buildApp({ clock: () => now });
    const agent = request.agent(app);
    await signup(agent).expect(201);

    now += config.login.maxAgeMs - 1;
    const justBefore = await agent.get('/profile');
    now += 1;
    const at = await agent.get('/profile');
    const page = await agent.get('/profile').set('Accept', 'text/html');

    expect(justBefore.status).toBe(200);
    expect(justBefore.body.loginAt).toBe('2026-11-26T08:00:00.000Z');
    expect(at.status).toBe(401);
    expect(page.headers.location).toBe('/login');
  });

  it('ends a login idle for SESSION_MAX_AGE_SECONDS; the session itself stays, and its count', async () => {
    let now = Date.parse('2026-11-26T08:00:00Z');
    const config = testConfig({ LOGIN_MAX_AGE_SECONDS: '31536000' }); // the absolute lifetime out of the way
    const { app } = buildApp({ config, clock: () => now });
    const agent = request.agent(app);
    await agent.get('/increment').expect(200);
    await signup(agent).expect(201);

    now += config.session.maxAgeMs - 1;
    const justBefore = await agent.get('/profile');
    now += config.session.maxAgeMs;
    const idle = await agent.get('/profile');
    const count = await agent.get('/increment');

    expect(justBefore.status).toBe(200);
    expect(idle.status).toBe(401);
    expect(count.body).toEqual({ count: 2 });
  });

  it('renews the idle lifetime with each request, as long as requests keep coming', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // express-session dates cookies with the global Date
    try {
      const start = Date.parse('2026-11-26T08:00:00Z');
      vi.setSystemTime(start);
      const config = testConfig({ SESSION_MAX_AGE_SECONDS: '600', LOGIN_MAX_AGE_SECONDS: '31536000' });
      const { app } = buildApp({ config });
      // sent by hand: a client's copy of the cookie keeps its first Expires
      const cookie = cookieFrom(await signup(request(app)).expect(201));
      const profile = async (at: number) => {
        vi.setSystemTime(at);
        return (await request(app).get('/profile').set('Cookie', cookie)).status;
      };
      const idle = config.session.maxAgeMs;

      const statuses = [
        await profile(start + idle * 0.75),
        await profile(start + idle * 1.5),
        await profile(start + idle * 2.5 + 1000),
      ];

      expect(statuses).toEqual([200, 200, 401]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('HTML forms', () => {
  it('sign up, log out and log in through url-encoded forms with 303s', async () => {
    const { app } = buildApp();
    const browser = request.agent(app);
    const form = (path: string, body: object) => asBrowser(browser.post(path)).send(body);

    const pages = await Promise.all(
      [browser.get('/signup'), browser.get('/login')].map((r) => r.set('Accept', 'text/html')),
    );
    const signedUp = await form('/signup', { username: 'Carol', password: PASSWORD }).expect(303);
    const profile = await browser.get('/profile').set('Accept', 'text/html').expect(200);
    const out = await form('/logout', {}).expect(303);
    const back = await form('/login', { username: 'carol', password: PASSWORD }).expect(303);

    expect(pages.map((p) => p.status)).toEqual([200, 200]);
    expect(pages[0]?.text).toContain('autocomplete="new-password"');
    expect(pages[1]?.text).toContain('<form method="post" action="/login">');
    expect(signedUp.headers.location).toBe('/profile');
    expect(profile.text).toContain('<strong id="username">carol</strong>');
    expect(profile.headers['cache-control']).toBe('no-store');
    expect(out.headers.location).toBe('/?logged-out');
    expect(back.headers.location).toBe('/profile');
  });

  it('shows the signup form again with a message per field and never echoes the password', async () => {
    const { app } = buildApp();

    const res = await asBrowser(request(app).post('/signup'))
      .send({ username: '<script>', password: 'tiny-secret' })
      .expect(400);

    expect(res.text).toContain('Username must be 3 to 32 characters');
    expect(res.text).toContain('Password must be at least 15 characters');
    expect(res.text).toContain('value="&lt;script&gt;"');
    expect(res.text).not.toContain('tiny-secret');
  });
});

describe('bad bodies on POST /signup and POST /login', () => {
  const json = (body: string) => ({ type: 'application/json', body });
  const form = (body: string) => ({ type: 'application/x-www-form-urlencoded', body });
  const cases: Array<[string, { type: string; body: string }, number]> = [
    ['no fields', json('{}'), 400],
    ['no body at all', { type: 'text/plain', body: '' }, 400],
    ['a text/plain body', { type: 'text/plain', body: 'username=alice' }, 400],
    ['numbers and booleans', json('{"username":1,"password":true}'), 400],
    ['arrays', json('{"username":["alice"],"password":["x"]}'), 400],
    ['objects', json('{"username":{"a":1},"password":{"toString":1}}'), 400],
    ['null fields', json('{"username":null,"password":null}'), 400],
    ['a JSON array', json('[]'), 400],
    ['a JSON string', json('"alice"'), 400],
    ['JSON null', json('null'), 400],
    ['fields only on __proto__', json('{"__proto__":{"username":"alice","password":"x"}}'), 400],
    ['invalid JSON', json('{"username": "alice",'), 400],
    [
      'a repeated form field',
      form(`username=alice&username=bob&password=${encodeURIComponent(PASSWORD)}`),
      400,
    ],
    [
      'a 10 000-character username',
      json(JSON.stringify({ username: 'a'.repeat(10_000), password: PASSWORD })),
      400,
    ],
    [
      'a 10 000-character password',
      json(JSON.stringify({ username: 'alice', password: 'p'.repeat(10_000) })),
      400,
    ],
    ['a 1 MB JSON body', json(JSON.stringify({ username: 'alice', password: 'p'.repeat(1_048_576) })), 413],
    ['a 1 MB form body', form(`username=alice&password=${'p'.repeat(1_048_576)}`), 413],
  ];

  for (const path of ['/signup', '/login']) {
    it(`answers 400 or 413 to ${path}, never 5xx, and logs no one in`, async () => {
      const { app } = buildApp();

      for (const [name, { type, body }, status] of cases) {
        const res = await request(app).post(path).set('Content-Type', type).send(body);
        expect(res.status, name).toBe(status);
        expect(res.headers['set-cookie'], name).toBeUndefined();
      }
    });
  }

  it('explains invalid JSON and a too-large body in plain words', async () => {
    const { app } = buildApp();

    const invalid = await request(app).post('/login').set('Content-Type', 'application/json').send('{');
    const large = await request(app)
      .post('/login')
      .send({ username: 'a', password: 'p'.repeat(20_000) });

    expect(invalid.body).toEqual({ error: 'Invalid JSON body' });
    expect(large.body).toEqual({ error: 'Request body too large' });
  });

  it('names each missing field', async () => {
    const { app } = buildApp();

    const res = await request(app).post('/signup').send({}).expect(400);

    expect(res.body.fields).toEqual({ username: 'Username is required', password: 'Password is required' });
  });
});
