import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../src/inspector/routes';
import { storeKey } from '../src/stores/key';
import { buildApp, cookieFrom, sessionIdOf, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { inProcessBackends } from './support/stores';

const asJson = (req: request.Test) => req.set('Accept', 'application/json');

describe.each(inProcessBackends)('GET /store on %s', (_name, makeBackend) => {
  it('lists two browsers as two rows, marks the asking one, and loses a row to /clear', async () => {
    const { app } = buildApp({ backend: makeBackend() });
    const a = request.agent(app);
    const b = request.agent(app);
    await a.get('/increment');
    await a.get('/increment');
    const bId = sessionIdOf(cookieFrom(await b.get('/increment')));

    const { body, text } = await asJson(b.get('/store')).expect(200);

    expect(text.endsWith('}\n')).toBe(true);
    expect(body.total).toBe(2);
    expect(body.sessions).toHaveLength(2);
    const mine = body.sessions.find((s: { current: boolean }) => s.current);
    expect(mine).toMatchObject({ key: storeKey(bId).slice(0, 6), count: 1, user: null });
    expect(body.sessions.find((s: { current: boolean }) => !s.current)).toMatchObject({ count: 2 });

    await a.get('/clear');
    expect((await asJson(b.get('/store'))).body.sessions).toHaveLength(1);
  });

  it("names a signed-in session's user, and never shows a whole key or ID", async () => {
    const { app } = buildApp({ backend: makeBackend() });
    const agent = request.agent(app);
    const id = sessionIdOf(
      cookieFrom(await agent.post('/signup').send({ username: 'ada_l', password: PASSWORD })),
    );

    const res = await agent.get('/store').set('Accept', 'text/html').expect(200);

    expect(res.text).toMatch(/<tr class="current" aria-current="true">[\s\S]*ada_l/);
    expect(res.text).not.toContain(storeKey(id));
    expect(res.text).not.toContain(id);
    expect(res.text).toContain(storeKey(id).slice(0, 6));
  });
});

describe('GET /store, bounded and guarded', () => {
  it('shows the 50 most recently active of more, with the total', async () => {
    const { app } = buildApp();
    for (let i = 0; i < 55; i++) await request(app).get('/increment').expect(200);

    const { body } = await asJson(request(app).get('/store')).expect(200);

    expect(body.total).toBe(55);
    expect(body.sessions).toHaveLength(50);
  });

  it('is 404 in production, and with STORE_PAGE=false', async () => {
    const envs: Record<string, string>[] = [
      { NODE_ENV: 'production', COOKIE_SECURE: 'false' },
      { STORE_PAGE: 'false' },
    ];
    for (const env of envs) {
      const { app } = buildApp({ config: testConfig(env) });
      await asJson(request(app).get('/store')).expect(404);
    }
  });

  it('answers by the socket address, which no forwarded header can fake', async () => {
    expect(['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1'].map((a) => isLoopback(a))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', '', 'localhost'].some((a) =>
        isLoopback(a),
      ),
    ).toBe(false);
    const { app } = buildApp({ config: testConfig({ TRUST_PROXY: 'true' }) });
    // req.ip says 203.0.113.9, the socket says loopback: the socket decides
    await asJson(request(app).get('/store').set('X-Forwarded-For', '203.0.113.9')).expect(200);
  });
});
