import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from './helper';
import { PASSWORD } from './support/accounts';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';

const { available: hasPostgres, server } = usePostgres('routes on a PostgreSQL user store');

/** An app whose users live in a fresh PostgreSQL database, and a browser on it. */
async function appOnPostgres() {
  const users = await readyPostgresStore(await createDatabase(server()), 500);
  onTestFinished(() => users.close());
  const { app } = buildApp({ users });
  return { app, browser: request.agent(app) };
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
