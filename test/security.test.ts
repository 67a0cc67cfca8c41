import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, testConfig } from './helper';
import { PASSWORD, signUpAgent } from './support/accounts';

describe('security headers', () => {
  it.each(['/', '/increment', '/healthz', '/no-such-page'])(
    'are on %s, and X-Powered-By is not',
    async (path) => {
      const { app } = buildApp();

      const res = await request(app).get(path).set('Accept', 'text/html');

      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    },
  );

  it('send a CSP that allows no script and no inline style, and forms only to this origin', async () => {
    const { app } = buildApp();

    const csp = (await request(app).get('/')).headers['content-security-policy'] ?? '';

    const directives = Object.fromEntries(
      csp.split(';').map((d: string) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives['default-src']).toBe("'none'");
    expect(directives['form-action']).toBe("'self'");
    expect(directives['script-src']).toBeUndefined(); // falls back to default-src 'none'
    expect(csp).not.toContain('unsafe-inline');
  });

  it("are satisfied by the app's own pages: no inline script, style or event handler", async () => {
    const { app } = buildApp();
    const agent = request.agent(app);

    await agent
      .post('/signup')
      .set('Accept', 'text/html')
      .type('form')
      .send({ username: 'alice', password: 'correct horse battery staple' })
      .expect(303);

    for (const path of [
      '/',
      '/increment',
      '/session',
      '/how-it-works',
      '/clear',
      '/login',
      '/signup',
      '/profile',
      '/nope',
    ]) {
      const { text } = await agent.get(path).set('Accept', 'text/html');
      expect(text).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
      expect(text).not.toMatch(/action="(?!\/)/); // forms post to this origin only
    }
  });

  it('add HSTS and upgrade-insecure-requests only when cookies are Secure (behind TLS)', async () => {
    const plain = buildApp().app;
    const secure = buildApp({ config: testConfig({ COOKIE_SECURE: 'true' }) }).app;

    const [overHttp, overTls] = [await request(plain).get('/'), await request(secure).get('/')];

    expect(overHttp.headers['strict-transport-security']).toBeUndefined();
    expect(overHttp.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(overTls.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(overTls.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });
});

describe('Clear-Site-Data', () => {
  const signOuts: Array<[string, string, object]> = [
    ['a logout', '/logout', {}],
    ['signing out everywhere', '/sessions/revoke-all', {}],
    ['deleting the account', '/account/delete', { password: PASSWORD }],
  ];

  it.each(signOuts)(
    'is "cache" on %s, so the browser drops its copies of signed-in pages',
    async (_name, path, body) => {
      const { app } = buildApp();
      const agent = await signUpAgent(app);

      const res = await agent.post(path).send(body).expect(200);

      expect(res.headers['clear-site-data']).toBe('"cache"');
    },
  );

  it('is not sent when signing in, nor on a page', async () => {
    const { app } = buildApp();

    const signup = await request(app)
      .post('/signup')
      .send({ username: 'alice', password: PASSWORD })
      .expect(201);
    const page = await request(app).get('/increment').expect(200);

    expect(signup.headers['clear-site-data']).toBeUndefined();
    expect(page.headers['clear-site-data']).toBeUndefined();
  });

  it('also names cookies under CLEAR_SITE_COOKIES=true', async () => {
    const { app } = buildApp({ config: testConfig({ CLEAR_SITE_COOKIES: 'true' }) });
    const agent = await signUpAgent(app);

    const res = await agent.post('/logout').expect(200);

    expect(res.headers['clear-site-data']).toBe('"cache", "cookies"');
  });
});
