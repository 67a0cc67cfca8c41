import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { storeKey } from '../src/stores/key';
import { buildApp, cookieFrom, sessionIdOf, TEST_SECRET, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { newSession } from './support/cookies';
import { panelAttr, panelOf } from './support/inspector';

const html = (r: request.Test) => r.set('Accept', 'text/html');

describe('the inspector panel', () => {
  it.each(['/', '/increment', '/login', '/signup', '/session', '/how-it-works', '/no-such-page'])(
    'is on the page %s',
    async (path) => {
      const { app } = buildApp();

      const res = await html(request(app).get(path));

      expect(panelOf(res)).toContain('What the server knows about you');
    },
  );

  it('says what each request did: created, saved, loaded, destroyed', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);

    const actions = [];
    for (const path of ['/increment', '/increment', '/session', '/clear'])
      actions.push(panelAttr(await html(agent.get(path)), 'inspector-action', 'data-result'));

    expect(actions).toEqual(['created', 'saved', 'loaded', 'destroyed']);
  });

  it('tells a forged cookie from a session the store no longer has', async () => {
    const { app } = buildApp();
    const cookie = await newSession(app);
    await request(app).get('/clear').set('Cookie', cookie);

    const gone = await html(request(app).get('/increment').set('Cookie', cookie));
    const forged = await html(
      request(app)
        .get('/increment')
        .set('Cookie', `${cookie.slice(0, -3)}AAA`),
    );

    expect(panelAttr(gone, 'inspector-cookie', 'data-outcome')).toBe('unknown-session');
    expect(panelOf(gone)).toContain('no such session in the store');
    expect(panelAttr(forged, 'inspector-cookie', 'data-outcome')).toBe('bad-signature');
    expect(panelOf(forged)).toContain('signature did not verify');
  });

  it('says that a Secure cookie is never sent over plain HTTP', async () => {
    const { app } = buildApp({ config: testConfig({ COOKIE_SECURE: 'true' }) });

    const res = await html(request(app).get('/increment')).expect(200);

    expect(res.headers['set-cookie']).toBeUndefined(); // express-session holds it back
    expect(panelOf(res)).toContain(
      'only sends its cookie over HTTPS; over plain HTTP every visit is a new session',
    );
    expect(panelOf(res)).toContain('This response sends no <code>Set-Cookie</code>');
  });

  it('says the re-sent cookie has a new expiry, or none for a browser-session login', async () => {
    const { app } = buildApp();
    const visitor = request.agent(app);
    const signedIn = request.agent(app);
    await visitor.get('/increment');
    await signedIn.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201); // not "keep me signed in"

    const persistent = panelOf(await html(visitor.get('/increment')));
    const browserSession = panelOf(await html(signedIn.get('/increment')));

    expect(persistent).toContain('with a new expiry');
    expect(browserSession).toContain('again, with no expiry (a browser-session cookie)');
    expect(browserSession).toContain('Ends when the browser closes.');
  });

  it('has no Secure notice when cookies are not Secure', async () => {
    const { app } = buildApp();

    const res = await html(request(app).get('/increment'));

    expect(panelOf(res)).not.toContain('over plain HTTP');
  });

  it('names the user on a page that loaded the login, and neither on the home page nor on /increment', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await agent.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);

    const profile = panelOf(await html(agent.get('/profile')).expect(200));
    const home = await html(agent.get('/')).expect(200);
    const counter = panelOf(await html(agent.get('/increment')).expect(200));

    expect(profile).toMatch(/<strong>alice<\/strong>, since <time id="inspector-login-at"/);
    expect(home.text).not.toContain('alice');
    expect(counter).not.toContain('alice');
    expect(counter).toContain('The session names a login; pages that need it look it up in the user store.');
  });

  it('says once, on the profile, how the login moved the session to a new ID', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    const before = sessionIdOf(cookieFrom(await agent.get('/increment')));
    const after = sessionIdOf(
      cookieFrom(await agent.post('/signup').send({ username: 'bo1', password: PASSWORD })),
    );

    const profile = (await html(agent.get('/profile')).expect(200)).text;

    const change = `moved from <code>${before.slice(0, 6)}</code> to\n<code>${after.slice(0, 6)}</code>`;
    expect(profile.split(change)).toHaveLength(2); // said exactly once
    expect(profile).toContain('Your count (1) came along');
  });
});

describe('pages that say what happened', () => {
  it('/clear says the store entry was deleted and the cookie expired', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await agent.get('/increment');

    const res = await html(agent.get('/clear')).expect(200);

    expect(res.text).toContain('its entry in the store was deleted');
    expect(res.text).toContain('Expires=Thu, 01 Jan 1970');
    expect(res.text).toContain('next visit starts a new session');
  });

  it('the home page says so once after a logout', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await agent.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
    const out = await html(agent.post('/logout')).expect(303);

    const landed = await html(agent.get(out.headers.location ?? '/'));
    const later = await html(agent.get('/'));

    expect(landed.text).toContain('You logged out.');
    expect(later.text).not.toContain('You logged out.');
  });

  it('the counter says which host it was served for, and links to /session and back', async () => {
    const { app } = buildApp();

    const counter = await html(request(app).get('/increment').set('Host', 'localhost:3000'));
    const session = await html(request(app).get('/session'));

    expect(counter.text).toContain('served for <code>localhost:3000</code>');
    expect(counter.text).toContain('href="/session"');
    expect(session.text).toContain('href="/increment"');
  });
});

describe('redaction', () => {
  it('no page or JSON holds the full session ID, its store key, the secret or the Redis password', async () => {
    const config = testConfig({
      SESSION_STORE: 'redis',
      REDIS_URL: 'redis://app:hunter2pass@127.0.0.1:6379',
    });
    const { app } = buildApp({ config });
    const agent = request.agent(app);
    await agent.get('/increment');
    const login = await agent.post('/signup').send({ username: 'alice', password: PASSWORD });
    const id = sessionIdOf(cookieFrom(login));

    const bodies = [];
    for (const path of ['/', '/increment', '/profile', '/session', '/how-it-works', '/nope'])
      bodies.push((await html(agent.get(path))).text, JSON.stringify((await agent.get(path)).body));

    expect(id.length).toBeGreaterThan(20);
    for (const body of bodies) {
      for (const secret of [id, storeKey(id), TEST_SECRET, 'hunter2pass', PASSWORD])
        expect(body).not.toContain(secret);
    }
  });
});
