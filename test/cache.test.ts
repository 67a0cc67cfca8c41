import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, cookieFrom } from './helper';
import { PASSWORD } from './support/accounts';

type Test = ReturnType<ReturnType<typeof request>['get']>;

/** Every route and error a logged-in visitor can reach; each sends the session cookie back. */
const cases: Record<string, (app: Express) => Test> = {
  'GET /': (app) => request(app).get('/'),
  'GET /increment': (app) => request(app).get('/increment'),
  'GET /profile': (app) => request(app).get('/profile'),
  'GET /login': (app) => request(app).get('/login'),
  'GET /signup': (app) => request(app).get('/signup'),
  'GET /login as a browser': (app) => request(app).get('/login').accept('html'),
  'GET /clear': (app) => request(app).get('/clear'),
  'POST /logout': (app) => request(app).post('/logout'),
  '404': (app) => request(app).get('/no-such-page'),
  '405': (app) => request(app).delete('/login'),
  'POST /login 200': (app) => request(app).post('/login').send({ username: 'ada', password: PASSWORD }),
  'POST /login 400': (app) => request(app).post('/login').send({ username: '' }),
  'POST /login 400 bad JSON': (app) => request(app).post('/login').type('json').send('{"username":'),
  'POST /login 401': (app) =>
    request(app).post('/login').send({ username: 'ada', password: 'wrong-password' }),
  'POST /login 413': (app) =>
    request(app)
      .post('/login')
      .send({ username: 'ada', password: 'x'.repeat(100_000) }),
  'POST /signup 400': (app) => request(app).post('/signup').send({ username: 'ada' }),
  'POST /signup 409': (app) => request(app).post('/signup').send({ username: 'ada', password: PASSWORD }),
  'POST /signup 413': (app) =>
    request(app)
      .post('/signup')
      .send({ username: 'bob', password: 'x'.repeat(100_000) }),
};

describe('responses that set the session cookie', () => {
  it.each(Object.keys(cases))('%s for a logged-in visitor is no-store and varies by Cookie', async (name) => {
    const { app } = buildApp();
    const signup = await request(app)
      .post('/signup')
      .send({ username: 'ada', password: PASSWORD })
      .expect(201);
    const cookie = cookieFrom(signup);

    const res = await (cases[name] as (app: Express) => Test)(app).set('Cookie', cookie);

    expect(res.headers['set-cookie']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary?.split(/\s*,\s*/)).toContain('Cookie');
  });

  it('leaves a response without a cookie to its own rules', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/healthz');

    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers.vary ?? '').not.toContain('Cookie');
  });
});
