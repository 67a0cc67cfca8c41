import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, cookieFrom, sessionCookie, sessionIdOf } from './helper';
import { isLoggedIn, signUpAgent } from './support/accounts';
import { shouldClearCookie } from './support/cookies';

describe('GET /increment', () => {
  it('counts 1, 2, 3 separately for two browsers with different session IDs', async () => {
    const { app } = buildApp();
    const a = request.agent(app);
    const b = request.agent(app);

    const counts: Array<[number, number]> = [];
    for (let i = 0; i < 3; i++) {
      const ra = await a.get('/increment').expect(200);
      const rb = await b.get('/increment').expect(200);
      counts.push([ra.body.count, rb.body.count]);
    }

    expect(counts).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const first = await request(app).get('/increment');
    const second = await request(app).get('/increment');
    expect(sessionIdOf(cookieFrom(first))).not.toBe(sessionIdOf(cookieFrom(second)));
  });

  it('serves a browser an escaped page with the count and a 6-character session ID prefix', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/increment').set('Accept', 'text/html').expect(200);

    const id = sessionIdOf(cookieFrom(res));
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('<strong id="count">1</strong>');
    expect(res.text).toContain(`<code id="sid">${id.slice(0, 6)}</code>`);
    expect(res.text).not.toContain(id);
    expect(res.text).toContain('href="/clear"');
  });

  it('answers JSON to curl and */* and says the answer varies by Accept and Cookie', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/increment').set('Accept', '*/*').expect(200);

    expect(res.body).toEqual({ count: 1 });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.headers.vary).toMatch(/Cookie/);
  });

  it('sets an httpOnly, SameSite=Lax cookie named sid for about 24 hours, not Secure by default', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/increment');

    const header = (res.headers['set-cookie'] as unknown as string[])[0] ?? '';
    expect(header).toMatch(/^sid=s%3A/);
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Lax/);
    expect(header).toMatch(/; Path=\//);
    expect(header).not.toMatch(/Secure/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(header)?.[1] ?? '');
    expect(Math.abs(expires - Date.now() - 86_400_000)).toBeLessThan(60_000);
  });

  it('answers 405 with Allow for POST', async () => {
    const { app } = buildApp();

    const res = await request(app).post('/increment').expect(405);

    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('GET /clear', () => {
  it('destroys the session: the next count is 1 and the old cookie does not resume it', async () => {
    const { app, store } = buildApp();
    const agent = request.agent(app);
    await agent.get('/increment');
    const before = await agent.get('/increment');
    const oldCookie = cookieFrom(before);
    expect(before.body.count).toBe(2);

    const cleared = await agent.get('/clear').expect(200).expect(shouldClearCookie());

    expect(cleared.body).toEqual({ message: 'Session cleared' });
    const replay = await request(app).get('/increment').set('Cookie', oldCookie);
    expect(replay.body.count).toBe(1);
    await new Promise<void>((resolve) =>
      store.get(sessionIdOf(oldCookie), (_err, s) => {
        expect(s).toBeNull();
        resolve();
      }),
    );
    expect((await agent.get('/increment')).body.count).toBe(1);
  });

  it('ends the login of a signed-in session: its row leaves the user store', async () => {
    const { app, users } = buildApp();
    const agent = await signUpAgent(app, 'alice');
    const user = await users.findByUsername('alice');
    expect(await users.listLogins(user?.id ?? 0, Date.now())).toHaveLength(1);

    await agent.get('/clear').expect(200);

    expect(await users.listLogins(user?.id ?? 0, Date.now())).toEqual([]);
    expect(await isLoggedIn(agent)).toBe(false);
  });

  it('answers "Session cleared" when there was no session', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/clear').set('Accept', 'text/html').expect(200);

    expect(res.text).toContain('Session cleared');
  });

  it('answers a generic 500 when the store cannot destroy, and keeps the cause out of the answer', async () => {
    const { app, backend } = buildApp();
    const agent = request.agent(app);
    await agent.get('/increment');
    backend.destroy = (_key, cb) => cb?.(new Error('disk on fire'));

    const res = await agent.get('/clear').expect(500);

    expect(res.body).toEqual({ error: 'Internal Server Error' });
    expect(res.text).not.toContain('disk on fire');
  });
});

describe('an active session', () => {
  it('gets its cookie re-sent on any page, so the browser expiry follows the idle timeout', async () => {
    const { app } = buildApp();
    const agent = request.agent(app);
    await agent.get('/increment');

    const res = await agent.get('/').set('Accept', 'text/html');

    expect(sessionCookie(res)).toMatch(/^sid=s%3A/);
    expect(String(res.headers['set-cookie'])).toMatch(/Expires=/);
  });
});

describe('routes that do not use the session', () => {
  it('set no cookie', async () => {
    const { app } = buildApp();

    for (const path of ['/', '/healthz', '/readyz', '/nope']) {
      const res = await request(app).get(path);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
  });

  it('answer 404 as JSON for an unknown path', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/nope').expect(404);

    expect(res.body).toEqual({ error: 'Not Found' });
  });
});
