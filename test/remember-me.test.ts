import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, sessionCookie, testConfig } from './helper';
import { PASSWORD, sessionsOf, signedUp } from './support/accounts';
import { signUp } from './support/cookies';

describe('keep me signed in', () => {
  const cookieHeader = (res: request.Response) => String(res.headers['set-cookie'] ?? '');

  it('gives a browser-session cookie unless asked, and a persistent one when asked', async () => {
    const { app } = buildApp();
    await signedUp(app);

    const plain = await request(app).post('/login').send({ username: 'alice', password: PASSWORD });
    const json = await request(app)
      .post('/login')
      .send({ username: 'alice', password: PASSWORD, remember: true });
    const form = await request(app)
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: PASSWORD, remember: '1' });
    const later = await request(app)
      .get('/increment')
      .set('Cookie', sessionCookie(plain) ?? '');

    expect(cookieHeader(plain)).not.toMatch(/Expires=|Max-Age=/);
    expect(cookieHeader(later)).not.toMatch(/Expires=|Max-Age=/); // rolling keeps it a browser-session cookie
    expect(cookieHeader(json)).toMatch(/Expires=/);
    expect(cookieHeader(form)).toMatch(/Expires=/);
  });

  it('shows which kind each session is, in JSON and on the page', async () => {
    const { app } = buildApp();
    const a = await signedUp(app);
    const kept = request.agent(app);
    await kept.post('/login').send({ username: 'alice', password: PASSWORD, remember: true }).expect(200);

    const list = await sessionsOf(a);
    const page = await a.get('/sessions').set('Accept', 'text/html');

    expect(list.find((s) => s.current)?.persistent).toBe(false);
    expect(list.find((s) => !s.current)?.persistent).toBe(true);
    expect(page.text).toContain('until the browser closes');
    expect(page.text).toContain('kept signed in');
  });

  it('still idles out on the server: a browser-session cookie’s session ends after the idle lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // express-session dates cookies with the global Date
    try {
      const start = Date.parse('2026-12-01T08:00:00Z');
      vi.setSystemTime(start);
      const config = testConfig({ SESSION_MAX_AGE_SECONDS: '600' });
      const store = new MemorySessionStore({ maxSessions: 100, ttlMs: config.session.maxAgeMs });
      const { app } = buildApp({ config, store, clock: () => start });
      const cookie = await signUp(app);
      const profile = async (at: number) => {
        vi.setSystemTime(at);
        return (await request(app).get('/profile').set('Cookie', cookie)).status;
      };

      const statuses = [
        await profile(start + 500_000),
        await profile(start + 1_000_000),
        await profile(start + 1_601_000),
      ];

      expect(statuses).toEqual([200, 200, 401]);
    } finally {
      vi.useRealTimers();
    }
  });
});
