import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RedisLock } from '../src/lock/redis';
import { storeKey } from '../src/stores/key';
import type { SessionBackend } from '../src/stores/types';
import type { UserStore } from '../src/users/types';
import { buildApp, cookieFrom, memoryUsers, sessionIdOf, silentLogger, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { deferred } from './support/deferred';
import { heldPost } from './support/held-request';
import { listen } from './support/http';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';
import { inProcessBackends } from './support/stores';

const withRedis = redisAvailable('revoke in flight on Redis');
const redis = useRedis({ when: withRedis });

/** A backend that resolves `loaded` once the session with this ID has been read. */
function watchReads(backend: SessionBackend, sid: () => string) {
  const loaded = deferred();
  const get = backend.get.bind(backend);
  backend.get = (key, cb) => {
    if (key === storeKey(sid())) loaded.resolve();
    get(key, cb);
  };
  return loaded.promise;
}

interface Setup {
  /** the first device's app, and the app the second device's requests reach (another instance on Redis) */
  appA: Express;
  appB: Express;
  backendB: SessionBackend;
  clock: { now: number };
}

async function setups(kind: string): Promise<Setup> {
  const clock = { now: Date.now() };
  const config = testConfig({ MAX_SESSIONS_PER_USER: '2' });
  const users: UserStore = memoryUsers(config); // one user store: PostgreSQL's part, in-process
  const make = (backend: SessionBackend, lock?: RedisLock) =>
    buildApp({ config, backend, users, clock: () => clock.now, ...(lock ? { lock } : {}) }).app;
  if (kind !== 'redis') {
    const backend = (inProcessBackends.find(([name]) => name === kind)?.[1] ?? (() => undefined))();
    if (!backend) throw new Error(kind);
    const app = make(backend);
    return { appA: app, appB: app, backendB: backend, clock };
  }
  const instance = async () => {
    const backend = await connectedRedisStore(redis.url);
    onTestFinished(() => backend.close());
    const lock = new RedisLock({ ...config.lock, client: backend.redis, prefix: 'lock:', timeoutMs: 1000 });
    return { app: make(backend, lock), backend };
  };
  const [a, b] = [await instance(), await instance()];
  return { appA: a.app, appB: b.app, backendB: b.backend, clock };
}

const kinds = ['memory', 'sqlite', ...(withRedis ? ['redis (two instances)'] : [])];

describe.each(kinds)('a request of a login ended while it is in flight, on %s', (kind) => {
  const setup = () => setups(kind.startsWith('redis') ? 'redis' : kind);

  /** A signs up on appA; B logs in as the same user on appB; B's request to `path` is held half-sent. */
  async function holdB(s: Setup, path: (aLogin: string) => string) {
    const a = request.agent(s.appA);
    await a.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
    s.clock.now += 1000;
    const bCookie = cookieFrom(
      await request(s.appB).post('/login').send({ username: 'alice', password: PASSWORD }),
    );
    const sessions = (await a.get('/sessions').expect(200)).body.sessions as Array<{
      id: string;
      current: boolean;
    }>;
    const aLogin = sessions.find((x) => x.current)?.id ?? '';
    const bLogin = sessions.find((x) => !x.current)?.id ?? '';
    const server = await listen(s.appB);
    onTestFinished(() => server.close());
    const loaded = watchReads(s.backendB, () => sessionIdOf(bCookie));
    const held = heldPost(server.port, path(aLogin), bCookie, '{}');
    await loaded; // B's session is loaded; its body has not arrived
    return { a, bCookie, bLogin, held };
  }

  it('acts on nothing when another device signed it out first (revoke one)', async () => {
    const s = await setup();
    const { a, bCookie, bLogin, held } = await holdB(s, () => '/sessions/revoke-others');
    await a.post(`/sessions/${bLogin}/revoke`).expect(200, { revoked: 1 });
    const answer = await held.finish();
    expect(answer.status).toBe(401);
    await a.get('/profile').expect(200); // A was not signed out by B's late request
    await request(s.appB).get('/profile').set('Cookie', bCookie).expect(401); // and B stays out
  });

  it('acts on nothing when signed out by "sign out all other sessions"', async () => {
    const s = await setup();
    const { a, bCookie, held } = await holdB(s, (aLogin) => `/sessions/${aLogin}/revoke`);
    await a.post('/sessions/revoke-others').expect(200, { revoked: 1 });
    expect((await held.finish()).status).toBe(401);
    await a.get('/profile').expect(200);
    await request(s.appB).get('/profile').set('Cookie', bCookie).expect(401);
  });

  it('acts on nothing when the per-user cap ended it', async () => {
    const s = await setup();
    const { a, bCookie, held } = await holdB(s, () => '/sessions/revoke-others');
    s.clock.now += 61_000;
    await a.get('/profile').expect(200); // A is seen again: B is now the least recently seen
    await request(s.appA).post('/login').send({ username: 'alice', password: PASSWORD }).expect(200); // a third
    expect((await held.finish()).status).toBe(401);
    await a.get('/profile').expect(200);
    await request(s.appB).get('/profile').set('Cookie', bCookie).expect(401);
  });
});

describe('an action whose own login ends between its check and its statement', () => {
  it('changes nothing: the statement that acts checks the acting login', async () => {
    const config = testConfig();
    const users = memoryUsers(config);
    const reached = deferred();
    const go = deferred();
    const endOtherLogins = users.endOtherLogins.bind(users);
    let first = true;
    users.endOtherLogins = async (actor, userId) => {
      if (first) {
        first = false;
        reached.resolve();
        await go.promise; // requireLogin has passed; the login is ended now
      }
      return endOtherLogins(actor, userId);
    };
    const { app } = buildApp({ config, users });
    const a = request.agent(app);
    await a.post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
    const b = request.agent(app);
    await b.post('/login').send({ username: 'alice', password: PASSWORD }).expect(200);
    const bSignsOthersOut = b.post('/sessions/revoke-others').then((res) => res.status);
    await reached.promise;
    const sessions = (await a.get('/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    await a.post(`/sessions/${sessions.find((x) => !x.current)?.id}/revoke`).expect(200);
    go.resolve();
    expect(await bSignsOthersOut).toBe(401);
    await a.get('/profile').expect(200);
  });
});

void silentLogger;
