import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp, testConfig } from './helper';
import { isLoggedIn, logInAgent, NEW_PASSWORD, PASSWORD, sessionsOf, signUpAgent } from './support/accounts';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';

const { available: hasPostgres, server } = usePostgres('routes on a PostgreSQL user store');

/** An app whose users and logins live in a fresh PostgreSQL database, and a browser on it. */
async function appOnPostgres(timeoutMs = 500) {
  const config = testConfig();
  const lifetimes = { idleMs: config.session.maxAgeMs, maxAgeMs: config.login.maxAgeMs };
  const users = await readyPostgresStore(await createDatabase(server()), timeoutMs, lifetimes);
  onTestFinished(() => users.close());
  const { app } = buildApp({ config, users });
  return { app, users, browser: request.agent(app) };
}

describe.skipIf(!hasPostgres)('user routes while PostgreSQL is silent', () => {
  it('answers signup and login with a fast 503 while /increment still counts, then serves again', async () => {
    const { browser } = await appOnPostgres();
    await browser.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);

    server().pause();
    onTestFinished(() => server().resume());
    const signup = await browser.post('/signup').send({ username: 'bob', password: PASSWORD });
    const login = await browser.post('/login').send({ username: 'alice', password: PASSWORD });
    const count = await browser.get('/increment').set('accept', 'application/json');
    server().resume();
    const again = await browser.post('/signup').send({ username: 'bob', password: PASSWORD });

    for (const res of [signup, login]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.text).toContain('User store unavailable');
    }
    expect(count.status).toBe(200);
    expect(again.status).toBe(201);
  });

  it('gives one 201 and one 409 to two signups racing for one name', async () => {
    const { app, browser } = await appOnPostgres();
    const other = request.agent(app);

    const statuses = await Promise.all(
      [browser, other].map(
        async (b) => (await b.post('/signup').send({ username: 'carol', password: PASSWORD })).status,
      ),
    );

    expect(statuses.sort()).toEqual([201, 409]);
  });
});

describe.skipIf(!hasPostgres)('your sessions on a PostgreSQL user store', () => {
  it('lists the logins, revokes one, ends the rest with a password change, and deletes the account', async () => {
    const { app, users } = await appOnPostgres();
    const a = await signUpAgent(app);
    const b = await logInAgent(app);
    const c = await logInAgent(app);

    const listed = await sessionsOf(a);
    await a.post(`/sessions/${listed.find((s) => !s.current)?.id}/revoke`).expect(200, { revoked: 1 });
    const changed = await a.post('/password').send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    const stillIn = await isLoggedIn(a);
    const deleted = await a.post('/account/delete').send({ password: NEW_PASSWORD });

    expect(listed).toHaveLength(3);
    expect([changed.status, changed.body]).toEqual([
      200,
      { message: 'Password changed', signedOutElsewhere: 1 },
    ]);
    expect(stillIn).toBe(true);
    expect([deleted.status, deleted.headers['clear-site-data']]).toEqual([200, '"cache"']);
    for (const agent of [a, b, c]) expect(await isLoggedIn(agent)).toBe(false);
    expect(await users.findByUsername('alice')).toBeUndefined();
  });

  it('lets only one of two devices signing each other out at once win; the other gets 401', async () => {
    const { app } = await appOnPostgres(1000); // STORE_TIMEOUT_MS's default
    const a = await signUpAgent(app);
    const b = await logInAgent(app);

    const [fromA, fromB] = await Promise.all([
      a.post('/sessions/revoke-others'),
      b.post('/sessions/revoke-others'),
    ]);

    const answers = [fromA, fromB].map((res) => [res.status, res.body]);
    expect(answers).toContainEqual([200, { revoked: 1 }]);
    expect(answers).toContainEqual([401, { error: 'Login required' }]);
    expect([await isLoggedIn(a), await isLoggedIn(b)]).toEqual([fromA.status === 200, fromB.status === 200]);
  });
});
