import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/stores/memory';
import { buildApp, cookieFrom, sessionIdOf, signedSessionId, TEST_SECRET, testConfig } from './helper';
import { newSession } from './support/cookies';

async function countedCookie(app: Parameters<typeof request>[0]) {
  const agent = request.agent(app);
  await agent.get('/increment');
  const res = await agent.get('/increment');
  expect(res.body.count).toBe(2);
  return cookieFrom(res);
}

describe('a tampered session cookie', () => {
  const tamper: Record<string, (cookie: string) => string> = {
    'one signature character changed': (c) => c.slice(0, -1) + (c.endsWith('A') ? 'B' : 'A'),
    'garbage appended': (c) => `${c}garbage%00%ff`,
    's: prefix dropped': (c) => c.replace('sid=s%3A', 'sid='),
    'a 4 KB value': () => `sid=s%3A${'a'.repeat(4096)}`,
  };

  for (const [name, change] of Object.entries(tamper)) {
    it(`starts a fresh count with 200 (${name})`, async () => {
      const { app } = buildApp();
      const cookie = await countedCookie(app);

      const res = await request(app).get('/increment').set('Cookie', change(cookie));

      expect(res.status).toBe(200);
      expect(res.body.count).toBe(1);
    });
  }
});

describe('a malformed Cookie header', () => {
  const headers = [
    'hasOwnProperty=1; __proto__=x; constructor=y',
    ';',
    'sid=%E0%A4%A',
    'sid=%; other=%zz',
    'sid=a; sid=b; sid=c',
    // non-ASCII as raw bytes: UTF-8 of "über" and "☃" (Node only sends latin1 header bytes)
    Buffer.from('sid=über; naïve=☃').toString('latin1'),
    '=; ==; sid',
    'a'.repeat(4000),
  ];

  for (const header of headers) {
    it(`never gives a 5xx (${JSON.stringify(header.slice(0, 40))})`, async () => {
      const { app } = buildApp();

      const res = await request(app).get('/increment').set('Cookie', header);

      expect(res.status).toBe(200);
      expect(res.body.count).toBe(1);
    });
  }

  it('with a valid session cookie among duplicates keeps the count of the first', async () => {
    const { app } = buildApp();
    const cookie = await countedCookie(app);

    const res = await request(app).get('/increment').set('Cookie', `${cookie}; sid=junk`);

    expect(res.body.count).toBe(3);
  });
});

describe('secret rotation', () => {
  it('still accepts a cookie signed with the old secret under "new,old"', async () => {
    const backend = new MemorySessionStore({ maxSessions: 100 }); // one store, as across a restart
    const before = buildApp({ backend, config: testConfig({ SESSION_SECRET: 'old-secret' }) });
    const cookie = await countedCookie(before.app);

    const after = buildApp({ backend, config: testConfig({ SESSION_SECRET: 'new-secret,old-secret' }) });
    const res = await request(after.app).get('/increment').set('Cookie', cookie);

    expect(res.body.count).toBe(3);
  });

  it('rejects an old-secret cookie once the old secret is dropped', async () => {
    const backend = new MemorySessionStore({ maxSessions: 100 }); // one store, as across a restart
    const before = buildApp({ backend, config: testConfig({ SESSION_SECRET: 'old-secret' }) });
    const cookie = await countedCookie(before.app);

    const after = buildApp({ backend, config: testConfig({ SESSION_SECRET: 'new-secret' }) });
    const res = await request(after.app).get('/increment').set('Cookie', cookie);

    expect(res.body.count).toBe(1);
  });

  it('signs new cookies with the first secret', async () => {
    const { app } = buildApp({ config: testConfig({ SESSION_SECRET: `${TEST_SECRET},old-secret` }) });

    const cookie = await newSession(app);

    const id = sessionIdOf(cookie);
    expect(cookie).toBe(`sid=${encodeURIComponent(signedSessionId(id))}`);
  });
});

describe('a Secure cookie', () => {
  it('is named __Host-sid, marked Secure and sent over HTTPS seen through a trusted proxy', async () => {
    const { app } = buildApp({ config: testConfig({ COOKIE_SECURE: 'true', TRUST_PROXY: '1' }) });

    const res = await request(app).get('/increment').set('X-Forwarded-Proto', 'https');

    const header = (res.headers['set-cookie'] as unknown as string[])[0] ?? '';
    expect(header).toMatch(/^__Host-sid=s%3A.*; Path=\/;.*HttpOnly; Secure; SameSite=Lax/);
    expect(header).not.toMatch(/Domain=/);
  });

  it('is never sent over plain HTTP', async () => {
    const { app } = buildApp({ config: testConfig({ COOKIE_SECURE: 'true' }) });

    const res = await request(app).get('/increment');

    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
