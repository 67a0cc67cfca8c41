import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { storeKey } from '../src/stores/key';
import type { SessionBackend } from '../src/stores/types';
import { buildApp, memoryUsers, sessionIdOf, testConfig } from './helper';
import { isLoggedIn, logInAgent, otherHandle, PASSWORD, sessionsOf, signUpAgent } from './support/accounts';
import { logInCookie } from './support/cookies';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';

const hasRedis = redisAvailable('your-sessions tests on Redis');

describe.skipIf(!hasRedis)('your sessions on two app instances sharing one Redis', () => {
  const redis = useRedis();

  /** Two instances: each its own store client and lock, one Redis and one user store (PostgreSQL's part) between them. */
  async function twoInstances() {
    const config = testConfig();
    const users = memoryUsers(config);
    const prefix = `sess:${randomUUID()}:`; // each test its own sessions in the shared Redis
    const backends = [
      await connectedRedisStore(redis.url, prefix),
      await connectedRedisStore(redis.url, prefix),
    ] as const;
    for (const backend of backends) onTestFinished(() => backend.close());
    const built = backends.map((backend) => buildApp({ config, backend, users }));
    const [one, two] = built.map((b) => b.app) as [Express, Express];
    return [one, two, backends] as const;
  }

  it('lets a client on one instance end the other client’s session, which the other instance then refuses', async () => {
    const [one, two] = await twoInstances();
    const a = await signUpAgent(one);
    const b = await logInAgent(two);

    const seenOnTwo = await sessionsOf(b);
    const handle = await otherHandle(a);
    await a.post(`/sessions/${handle}/revoke`).expect(200);

    expect(seenOnTwo).toHaveLength(2);
    expect(seenOnTwo.find((s) => !s.current)?.id).toBe((await sessionsOf(a))[0]?.id);
    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('signs out all the others across instances', async () => {
    const [one, two] = await twoInstances();
    const a = await signUpAgent(one);
    const others = [await logInAgent(two), await logInAgent(two)];

    const res = await a.post('/sessions/revoke-others').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('logs out the other instance’s sessions after a password change on this one', async () => {
    const [one, two] = await twoInstances();
    const a = await signUpAgent(one);
    const b = await logInAgent(two);

    await a
      .post('/password')
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })
      .expect(200);

    expect(await isLoggedIn(b)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
    const relogin = await request(two)
      .post('/login')
      .send({ username: 'alice', password: 'a brand new passphrase' });
    expect(relogin.status).toBe(200);
  });

  it('keeps a login revoked on the other instance ended, though its in-flight request saves after the revoke', async () => {
    const [one, two, backends] = await twoInstances();
    const a = await signUpAgent(one);
    const bCookie = await logInCookie(two);
    const handle = await otherHandle(a);
    const held = holdNextWrite(backends[1], storeKey(sessionIdOf(bCookie)));

    const inFlight = request(two)
      .get('/increment')
      .set('Cookie', bCookie)
      .then((res) => res.body);
    await held.reached; // B's save is now held on its way to Redis
    await a.post(`/sessions/${handle}/revoke`).expect(200);
    held.release();

    expect(await inFlight).toEqual({ count: 1 });
    for (const app of [one, two])
      expect((await request(app).get('/profile').set('Cookie', bCookie)).status).toBe(401);
    expect((await sessionsOf(a)).map((s) => s.current)).toEqual([true]);
  });
});

/** Holds the backend's next write of one store key until release(); `reached` resolves when it arrives. */
function holdNextWrite(store: SessionBackend, key: string) {
  let release = () => {};
  let reached = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const set = store.set.bind(store);
  store.set = (id, session, cb) => {
    if (id !== key) return set(id, session, cb);
    reached();
    gate.then(() => set(id, session, cb));
  };
  return { reached: arrived, release: () => release() };
}
