import { sign } from 'cookie-signature';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { buildApp, cookieFrom, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { newSession } from './support/cookies';
import { storedSessions } from './support/inspector';

const HOUR = 3_600_000;

describe('GET /session', () => {
  it('reports no cookie and no session for a first visit, and creates neither', async () => {
    const { app, backend } = buildApp();

    const res = await request(app).get('/session').expect(200);

    expect(res.body).toMatchObject({ cookie: 'none', session: null, user: null });
    expect(res.body.request).toMatchObject({ action: 'none', setCookie: false });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await storedSessions(backend)).toBe(0);
  });

  it('reports ok with the stored data, the ID and store-key prefixes and the cookie as set', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    const id = sessionIdOf(cookieFrom(await agent.get('/increment')));

    const res = await agent.get('/session').expect(200);

    expect(res.body.cookie).toBe('ok');
    expect(res.body.session).toMatchObject({
      idPrefix: id.slice(0, 6),
      store: 'memory: this process only',
      data: { count: 1, cookie: { httpOnly: true, path: '/' } },
      cookie: { name: 'sid', httpOnly: true, secure: false, sameSite: 'lax', path: '/' },
    });
    expect(res.body.session.storeKeyPrefix).toMatch(/^[0-9a-f]{6}$/);
    expect(Date.parse(res.body.session.expiresAt) - Date.now()).toBeGreaterThan(23 * HOUR);
    expect(res.body.request).toMatchObject({ action: 'loaded', setCookie: true }); // rolling renews it
  });

  it('reports bad-signature for a cookie signed with a secret this server does not know', async () => {
    const { app } = buildApp();
    const id = sessionIdOf(await newSession(app));
    const forged = `sid=${encodeURIComponent(`s:${sign(id, 'some-other-secret-0123456789abcdef')}`)}`;

    const res = await request(app).get('/session').set('Cookie', forged).expect(200);

    expect(res.body).toMatchObject({ cookie: 'bad-signature', session: null });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('reports bad-signature for a cookie without the s: prefix', async () => {
    const { app } = buildApp();
    const id = sessionIdOf(await newSession(app));

    const res = await request(app).get('/session').set('Cookie', `sid=${id}`).expect(200);

    expect(res.body.cookie).toBe('bad-signature');
  });

  it('reports unknown-session for the cookie of a destroyed session, and creates nothing', async () => {
    const { app, backend } = buildApp();
    const agent = request.agent(app);
    const cookie = cookieFrom(await agent.get('/increment'));
    await agent.get('/clear').expect(200);

    const res = await request(app).get('/session').set('Cookie', cookie).expect(200);

    expect(res.body).toMatchObject({ cookie: 'unknown-session', session: null });
    expect(res.body.request.action).toBe('none');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await storedSessions(backend)).toBe(0);
  });

  it('changes no session data', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await agent.get('/increment');

    await agent.get('/session');
    await agent.get('/session');
    const after = await agent.get('/increment');

    expect(after.body.count).toBe(2);
  });
});

describe('GET /session for a logged-in visitor', () => {
  it('names neither the user nor the login time, and never looks the login up', async () => {
    const { app, users } = buildApp();
    const agent = request.agent(app);
    await agent.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
    const findLogin = vi.spyOn(users, 'findLogin');

    const res = await agent.get('/session').expect(200);

    expect(findLogin).not.toHaveBeenCalled();
    expect(res.body.user).not.toBeNull();
    expect(res.body.user.username).toBeUndefined();
    expect(res.body.user.loginAt).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('alice');
  });

  it('shows the session ID before and after the login, and that the count was carried over', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    const before = sessionIdOf(cookieFrom(await agent.get('/increment')));
    const login = await agent.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
    const after = sessionIdOf(cookieFrom(login));

    const res = await agent.get('/session').expect(200);

    expect(res.body.user.idChange).toEqual({
      from: before.slice(0, 6),
      to: after.slice(0, 6),
      countCarried: 1,
    });
    expect(res.body.session.idPrefix).toBe(after.slice(0, 6));
  });
});

describe('the store description', () => {
  /** /session after one visit to /increment, in an app built with these settings. */
  async function viewAfterVisit(env: Record<string, string>) {
    const agent = request.agent(buildApp({ config: testConfig(env) }).app);
    await agent.get('/increment').expect(200);
    return (await agent.get('/session').expect(200)).body;
  }

  it('names the SQLite file and the process in development', async () => {
    const view = await viewAfterVisit({ SESSION_STORE: 'sqlite', SQLITE_PATH: 'data/x.db' });

    expect(view.session.store).toBe('sqlite: data/x.db');
    expect(view.request.instance.pid).toBe(process.pid);
  });

  it('leaves the file path and the process id out in production', async () => {
    const view = await viewAfterVisit({
      NODE_ENV: 'production',
      SESSION_STORE: 'sqlite',
      COOKIE_SECURE: 'false',
    });

    expect(view.session.store).toBe('sqlite');
    expect(view.request.instance.pid).toBeUndefined();
  });

  it('shows the Redis URL without its password', async () => {
    const view = await viewAfterVisit({
      SESSION_STORE: 'redis',
      REDIS_URL: 'redis://app:hunter2pass@10.0.0.5:6380',
    });

    expect(view.session.store).toBe('redis: redis://10.0.0.5:6380');
  });
});
