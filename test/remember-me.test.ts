import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, cookieFrom, testConfig } from './helper';
import { PASSWORD, sessionsOf, signUpAgent } from './support/accounts';
import { signUpCookie } from './support/cookies';

describe('keep me signed in', () => {
  const cookieHeader = (res: request.Response) => String(res.headers['set-cookie'] ?? '');

  it('gives a browser-session cookie unless asked, and a persistent one when asked', async () => {
    const { app } = buildApp();
    await signUpAgent(app);

    const plain = await request(app).post('/login').send({ username: 'alice', password: PASSWORD });
    const json = await request(app)
      .post('/login')
      .send({ username: 'alice', password: PASSWORD, remember: true });
    const form = await request(app)
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: PASSWORD, remember: '1' });
    const later = await request(app).get('/increment').set('Cookie', cookieFrom(plain));

    expect(cookieHeader(plain)).not.toMatch(/Expires=|Max-Age=/);
    expect(cookieHeader(later)).not.toMatch(/Expires=|Max-Age=/); // rolling keeps it a browser-session cookie
    expect(cookieHeader(json)).toMatch(/Expires=/);
    expect(cookieHeader(form)).toMatch(/Expires=/);
  });

  it('shows which kind each session is, in JSON and on the page', async () => {
    const { app } = buildApp();
    const a = await signUpAgent(app);
    const kept = request.agent(app);
    await kept.post('/login').send({ username: 'alice', password: PASSWORD, remember: true }).expect(200);

    const list = await sessionsOf(a);
    const page = await a.get('/sessions').set('Accept', 'text/html');

    expect(list.find((s) => s.current)?.persistent).toBe(false);
    expect(list.find((s) => !s.current)?.persistent).toBe(true);
    expect(page.text).toContain('until the browser closes');
    expect(page.text).toContain('kept signed in');
  });

  it('idles out on the server either way: a login unseen for SESSION_MAX_AGE_SECONDS ends, kept signed in or not', async () => {
    let now = Date.parse('2026-12-01T08:00:00Z');
    // the absolute lifetime out of the way
    const config = testConfig({ SESSION_MAX_AGE_SECONDS: '600', LOGIN_MAX_AGE_SECONDS: '31536000' });
    const { app } = buildApp({ config, clock: () => now });
    const plain = await signUpCookie(app);
    const kept = cookieFrom(
      await request(app)
        .post('/login')
        .send({ username: 'alice', password: PASSWORD, remember: true })
        .expect(200),
    );
    const statuses = async () =>
      Promise.all(
        [plain, kept].map(
          async (cookie) => (await request(app).get('/profile').set('Cookie', cookie)).status,
        ),
      );

    now += config.session.maxAgeMs - 1;
    const justBefore = await statuses(); // and seen now
    now += config.session.maxAgeMs;
    const idle = await statuses();

    expect(justBefore).toEqual([200, 200]);
    expect(idle).toEqual([401, 401]);
  });
});
