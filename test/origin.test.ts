import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, testConfig } from './helper';
import { PASSWORD } from './support/accounts';

const HOST = 'app.test';
type Headers = Record<string, string>;

const REFUSED: Array<[string, Headers]> = [
  ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
  ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
  [
    'Sec-Fetch-Site: cross-site with our own Origin',
    { 'Sec-Fetch-Site': 'cross-site', Origin: `http://${HOST}` },
  ],
  ['another Origin', { Origin: 'https://evil.example' }],
  ['Origin: null', { Origin: 'null' }],
  ['our host under another scheme', { Origin: `https://${HOST}` }],
  ['our host as a prefix', { Origin: `http://${HOST}.evil.example` }],
  ['our host on another port', { Origin: `http://${HOST}:8080` }],
];

const PASSED: Array<[string, Headers]> = [
  ['no headers (curl)', {}],
  ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin' }],
  ['Sec-Fetch-Site: none (typed URL)', { 'Sec-Fetch-Site': 'none' }],
  ['our own Origin', { Origin: `http://${HOST}` }],
  ['our own Origin in capitals', { Origin: `HTTP://APP.TEST` }],
];

describe('cross-origin protection', () => {
  for (const [name, headers] of REFUSED) {
    it(`refuses POST /logout, /login, /signup and GET /increment, /clear with ${name}, changing nothing`, async () => {
      const { app, users } = buildApp();
      const agent = request.agent(app);
      await agent.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
      await agent.get('/increment').expect(200);
      const send = (r: request.Test) => r.set('Host', HOST).set(headers);

      const answers = [
        await send(agent.post('/logout')),
        await send(request(app).post('/login').send({ username: 'alice', password: PASSWORD })),
        await send(request(app).post('/signup').send({ username: 'mallory', password: PASSWORD })),
        await send(agent.get('/increment')),
        await send(agent.head('/increment')),
        await send(agent.get('/INCREMENT/')),
        await send(agent.get('/clear')),
        await send(agent.get('/clear/')),
      ];

      expect(answers.map((res) => res.status)).toEqual(Array(answers.length).fill(403));
      expect(answers.map((res) => res.headers['set-cookie'])).toEqual(Array(answers.length).fill(undefined));
      expect(answers[0]?.body).toEqual({ error: 'Cross-origin request refused' });
      expect((await agent.get('/profile')).status).toBe(200); // still logged in
      expect((await agent.get('/increment')).body.count).toBe(2); // counted once before, never refused
      expect(await users.findByUsername('mallory')).toBeUndefined();
    });
  }

  for (const [name, headers] of PASSED) {
    it(`lets state-changing requests through with ${name}`, async () => {
      const { app } = buildApp();
      const agent = request.agent(app);
      const send = (r: request.Test) => r.set('Host', HOST).set(headers);

      const signup = await send(agent.post('/signup').send({ username: 'alice', password: PASSWORD }));
      const count = await send(agent.get('/increment'));
      const out = await send(agent.post('/logout'));

      expect([signup.status, count.status, out.status]).toEqual([201, 200, 200]);
    });
  }

  it('refuses with a small HTML page for a browser', async () => {
    const { app } = buildApp();

    const res = await request(app)
      .post('/logout')
      .set('Accept', 'text/html')
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403);

    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Cross-origin request refused');
  });

  it('does not check safe requests, so links from other sites still open pages', async () => {
    const { app } = buildApp();

    const statuses = await Promise.all(
      ['/', '/login', '/signup', '/profile'].map(
        async (path) => (await request(app).get(path).set('Sec-Fetch-Site', 'cross-site')).status,
      ),
    );

    expect(statuses).toEqual([200, 200, 200, 401]);
  });

  it('trusts origins listed in ALLOWED_ORIGINS, whatever Sec-Fetch-Site says', async () => {
    const { app } = buildApp({ config: testConfig({ ALLOWED_ORIGINS: 'https://admin.example/' }) });

    const trusted = await request(app)
      .post('/logout')
      .set('Origin', 'https://admin.example')
      .set('Sec-Fetch-Site', 'cross-site');
    const other = await request(app).post('/logout').set('Origin', 'https://other.example');

    expect(trusted.status).toBe(200);
    expect(other.status).toBe(403);
  });

  it('compares with the origin a TLS proxy forwards, only when trust proxy is on', async () => {
    const trusting = buildApp({ config: testConfig({ TRUST_PROXY: '1' }) }).app;
    const direct = buildApp().app;
    const viaProxy = (app: typeof direct) =>
      request(app)
        .post('/logout')
        .set('Host', HOST)
        .set('X-Forwarded-Proto', 'https')
        .set('Origin', `https://${HOST}`);

    expect((await viaProxy(trusting)).status).toBe(200);
    expect((await viaProxy(direct)).status).toBe(403);
  });
});
