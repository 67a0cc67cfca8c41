import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, cookieFrom, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { call } from './support/callback';
import { logInCookie, signUpCookie } from './support/cookies';

const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const T = Date.parse('2026-12-01T08:00:00Z');

/** An app with MAX_SESSIONS_PER_USER = max and a clock the test moves. */
function appWithCap(max: number) {
  const clock = { now: T };
  const built = buildApp({
    config: testConfig({ MAX_SESSIONS_PER_USER: String(max) }),
    clock: () => clock.now,
  });
  const profile = (cookie: string) => request(built.app).get('/profile').set('Cookie', cookie);
  return { ...built, clock, profile };
}

describe('POST /login and /signup, the login they start', () => {
  it('records the IP, the device and the time in a login row; the session holds only its id', async () => {
    const { app, store, users } = buildApp({ clock: () => T });

    const res = await request(app)
      .post('/signup')
      .set('User-Agent', CHROME_LINUX)
      .send({ username: 'ann', password: PASSWORD })
      .expect(201);

    const ann = await users.findByUsername('ann');
    const logins = await users.listLogins(ann?.id ?? -1, T);
    expect(logins).toEqual([
      {
        id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        userId: ann?.id,
        createdAt: T,
        lastSeenAt: T,
        authAt: T,
        device: 'Chrome 131 on Linux',
        ip: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
        persistent: false,
      },
    ]);
    const session = await call<Record<string, unknown>>((cb) =>
      store.get(sessionIdOf(cookieFrom(res)), cb as never),
    );
    expect(session).toEqual({
      cookie: expect.any(Object),
      loginId: logins[0]?.id,
      previousIdPrefix: expect.stringMatching(/^.{6}$/),
    });
  });

  it('says "unknown device" for a client without a User-Agent', async () => {
    const { app, users } = buildApp({ clock: () => T });

    await request(app)
      .post('/signup')
      .unset('User-Agent')
      .send({ username: 'ann', password: PASSWORD })
      .expect(201);

    const ann = await users.findByUsername('ann');
    expect((await users.listLogins(ann?.id ?? -1, T)).map((l) => l.device)).toEqual(['unknown device']);
  });
});

describe('POST /login past MAX_SESSIONS_PER_USER', () => {
  it("ends the user's least recently seen login, not the oldest, and keeps the rest", async () => {
    const { app, clock, profile } = appWithCap(2);
    const first = await signUpCookie(app, 'ann');
    clock.now += 1000;
    const second = await logInCookie(app, 'ann');
    clock.now += 60_000;
    await profile(first).expect(200); // seen again a minute on: now the second is the least recently seen
    clock.now += 1000;

    const third = await logInCookie(app, 'ann');

    expect((await profile(second)).status).toBe(401);
    expect((await profile(first)).status).toBe(200);
    expect((await profile(third)).status).toBe(200);
  });

  it('never ends the login being started, even at a cap of one and at the same moment', async () => {
    const { app, profile } = appWithCap(1); // the clock stands still: both logins are seen at T

    const first = await signUpCookie(app, 'ann');
    const second = await logInCookie(app, 'ann');

    expect((await profile(second)).status).toBe(200);
    expect((await profile(first)).status).toBe(401);
  });

  it('tells the browser it ended, once, at its next GET /login, and keeps its count', async () => {
    const { app, clock } = appWithCap(1);
    const ended = request.agent(app);
    await ended.get('/increment').expect(200, { count: 1 });
    await ended.post('/signup').send({ username: 'ann', password: PASSWORD }).expect(201);
    clock.now += 1000;
    await logInCookie(app, 'ann');

    const json = await ended.get('/profile');
    const page = await ended.get('/sessions').set('Accept', 'text/html');
    const notice = await ended.get('/login');
    const again = await ended.get('/login');
    const count = await ended.get('/increment');

    expect([json.status, json.body]).toEqual([401, { error: 'Login required' }]);
    expect([page.status, page.headers.location]).toEqual([303, '/login']);
    expect(notice.body).toEqual({
      fields: ['username', 'password'],
      notice: expect.stringMatching(/^This browser was signed out/),
    });
    expect(again.body).toEqual({ fields: ['username', 'password'] });
    expect(count.body).toEqual({ count: 2 });
  });
});
