import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../src/sqlite-file';
import type { SessionStore } from '../src/stores/types';
import { SqliteUserStore } from '../src/users/sqlite';
import { buildApp, sessionIdOf } from './helper';
import { isLoggedIn, loggedIn, otherHandle, PASSWORD, sessionsOf, signedUp } from './support/accounts';
import { call } from './support/callback';
import { logIn } from './support/cookies';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';

const hasRedis = redisAvailable('your-sessions tests on Redis');

describe.skipIf(!hasRedis)('your sessions on two app instances sharing one Redis', () => {
  const redis = useRedis();

  /** Two instances: each its own store client and lock, one Redis and one user database between them. */
  async function twoInstances() {
    const users = new SqliteUserStore(openDatabase(':memory:'));
    const prefix = `sess:${randomUUID()}:`; // each test its own sessions in the shared Redis
    const stores = [
      await connectedRedisStore(redis.url, prefix),
      await connectedRedisStore(redis.url, prefix),
    ] as const;
    for (const store of stores) onTestFinished(() => store.close());
    const [one, two] = stores.map((store) => buildApp({ store, users }).app) as [Express, Express];
    return [one, two, stores] as const;
  }

  it('lets a client on one instance end the other client’s session, which the other instance then refuses', async () => {
    const [one, two] = await twoInstances();
    const a = await signedUp(one);
    const b = await loggedIn(two);

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
    const a = await signedUp(one);
    const others = [await loggedIn(two), await loggedIn(two)];

    const res = await a.post('/sessions/revoke-others').expect(200);

    expect(res.body).toEqual({ revoked: 2 });
    for (const other of others) expect(await isLoggedIn(other)).toBe(false);
    expect(await isLoggedIn(a)).toBe(true);
  });

  it('logs out the other instance’s sessions after a password change on this one', async () => {
    const [one, two] = await twoInstances();
    const a = await signedUp(one);
    const b = await loggedIn(two);

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

  it('drops the late write of a session revoked on the other instance while its request was in flight', async () => {
    const [one, two, stores] = await twoInstances();
    const a = await signedUp(one);
    const bCookie = await logIn(two);
    const handle = await otherHandle(a);
    const held = holdNextWrite(stores[1], sessionIdOf(bCookie));

    const inFlight = request(two)
      .get('/increment')
      .set('Cookie', bCookie)
      .then((res) => res.status);
    await held.reached; // B's save is now held on its way to Redis
    await a.post(`/sessions/${handle}/revoke`).expect(200);
    held.release();
    await inFlight;

    expect((await request(two).get('/profile').set('Cookie', bCookie)).status).toBe(401);
    expect(await call((cb) => stores[0].get(sessionIdOf(bCookie), cb))).toBeNull();
  });
});

/** Holds the store's next write of one session until release(); `reached` resolves when it arrives. */
function holdNextWrite(store: SessionStore, sid: string) {
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
    if (id !== sid) return set(id, session, cb);
    reached();
    gate.then(() => set(id, session, cb));
  };
  return { reached: arrived, release: () => release() };
}
