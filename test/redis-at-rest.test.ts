import { Writable } from 'node:stream';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBackends } from '../src/backends';
import { createLogger } from '../src/logger';
import { storeKey } from '../src/stores/key';
import type { RedisSessionStore } from '../src/stores/redis';
import { buildApp, sessionCookie, sessionIdOf, signedSessionId, testConfig } from './helper';
import { call } from './support/callback';
import { newSession } from './support/cookies';
import { connectedRedisStore, redisAvailable, startRedis } from './support/redis';

async function freshStore(): Promise<RedisSessionStore> {
  const server = await startRedis();
  onTestFinished(() => server.close());
  const store = await connectedRedisStore(server.url, 'sess:');
  onTestFinished(() => store.close());
  return store;
}

/** Every key in Redis with its contents as text: strings whole, sorted sets member by member. */
async function everything(store: RedisSessionStore): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of store.client.scanIterator({ COUNT: 100 })) {
    for (const key of keys) {
      const type = await store.client.type(key);
      if (type === 'string') out.push(key, (await store.client.get(key)) ?? '');
      else if (type === 'zset') out.push(key, ...(await store.client.zRange(key, 0, -1)));
      else throw new Error(`unexpected ${type} at ${key}`);
    }
  }
  return out;
}

/** A session as the previous code (connect-redis 9) wrote it: JSON under prefix + ID, with EX. */
async function writeAsBefore(store: RedisSessionStore, sid: string, data: Record<string, unknown>) {
  const expires = new Date(Date.now() + 3_600_000).toISOString();
  const cookie = { originalMaxAge: 3_600_000, expires, httpOnly: true, path: '/', sameSite: 'lax' };
  const json = JSON.stringify({ cookie, ...data });
  await store.client.set(`sess:${sid}`, json, { expiration: { type: 'EX', value: 3600 } });
}

const cookieFor = (sid: string) => `sid=${encodeURIComponent(signedSessionId(sid))}`;
const LEGACY_SID = 'Qm9vdHN0cmFwcGVkLWJ5LW1haW4tMDE'; // shaped like express-session's IDs

describe.skipIf(!redisAvailable('redis at-rest tests'))('RedisSessionStore at rest', () => {
  it('keeps no session ID in any key or value, whatever the sessions went through', async () => {
    const store = await freshStore();
    const { app } = buildApp({ config: testConfig({ SESSION_STORE: 'redis' }), store });
    const anonymous = await newSession(app);
    const user = sessionCookie(
      await request(app)
        .post('/signup')
        .send({ username: 'ann', password: 'correct horse battery staple' })
        .expect(201),
    );
    await request(app)
      .get('/increment')
      .set('Cookie', user ?? '')
      .expect(200);
    const revoked = await newSession(app);
    await store.destroyByKey(storeKey(sessionIdOf(revoked)));
    await writeAsBefore(store, LEGACY_SID, { count: 1, userId: 1 });
    await call((cb) => store.get(LEGACY_SID, cb)); // moved

    const stored = (await everything(store)).join('\n');

    const ids = [anonymous, user ?? '', revoked].map(sessionIdOf).concat(LEGACY_SID);
    for (const id of ids) expect(stored).not.toContain(id);
    for (const id of ids) expect(stored).toContain(storeKey(id)); // the test looked in the right place
  });

  it('moves a session written under its plain ID to its hash on first read, logging nobody out', async () => {
    const store = await freshStore();
    const { app } = buildApp({ config: testConfig({ SESSION_STORE: 'redis' }), store });
    await writeAsBefore(store, LEGACY_SID, { count: 3 });

    const first = await request(app).get('/increment').set('Cookie', cookieFor(LEGACY_SID)).expect(200);
    const keysAfterFirst = await store.client.keys('sess:*');
    const ttl = await store.client.pTTL(`sess:${storeKey(LEGACY_SID)}`);
    const second = await request(app).get('/increment').set('Cookie', cookieFor(LEGACY_SID)).expect(200);

    expect([first.body.count, second.body.count]).toEqual([4, 5]);
    expect(keysAfterFirst).toEqual([`sess:${storeKey(LEGACY_SID)}`]); // the plain key is gone
    expect(ttl).toBeGreaterThan(3_500_000); // it keeps its lifetime
    expect(await store.client.keys('sess:*')).toEqual([`sess:${storeKey(LEGACY_SID)}`]);
  });

  it('indexes a moved session that was logged in, and not one that was anonymous', async () => {
    const store = await freshStore();
    await writeAsBefore(store, LEGACY_SID, { count: 1, userId: 42 });
    await writeAsBefore(store, 'anonymous-before-the-upgrade-01', { count: 1 });

    const read = await call<SessionData | null>((cb) => store.get(LEGACY_SID, cb));
    await call((cb) => store.get('anonymous-before-the-upgrade-01', cb));
    const list = await store.listByUser(42);

    expect(read).toMatchObject({ userId: 42, count: 1 });
    expect(list.map((x) => x.key)).toEqual([storeKey(LEGACY_SID)]);
    expect(await store.client.keys('index:sess:user:*')).toEqual(['index:sess:user:42']);
    expect(await store.client.zCard('index:sess:active')).toBe(2);
  });

  it('does not bring back a plain-key session whose store key was revoked meanwhile', async () => {
    const store = await freshStore();
    await writeAsBefore(store, LEGACY_SID, { count: 1, userId: 42 });
    await store.destroyByKey(storeKey(LEGACY_SID)); // e.g. from another instance's device list

    const read = await call((cb) => store.get(LEGACY_SID, cb));

    expect(read).toBeNull();
    expect(await store.client.keys('sess:*')).toEqual([]);
  });

  it("moves every plain-key session at once on request, so ending all of a user's sessions reaches them", async () => {
    const store = await freshStore();
    await writeAsBefore(store, LEGACY_SID, { count: 1, userId: 42 });
    await writeAsBefore(store, 'second-device-before-upgrade-01', { count: 1, userId: 42 });
    await writeAsBefore(store, 'anonymous-before-the-upgrade-01', { count: 1 });
    await store.client.set('sess:corrupt-before-the-upgrade-1', 'not json');

    const moved = await store.moveLegacySessions();
    const ended = await store.destroyByUser(42);

    expect(moved).toBe(3);
    expect(ended).toBe(2);
    expect((await store.client.keys('sess:*')).sort()).toEqual(
      [`sess:${storeKey('anonymous-before-the-upgrade-01')}`, 'sess:corrupt-before-the-upgrade-1'].sort(),
    ); // the corrupt one is left to expire
  });

  it('never writes a stale plain-key copy over a session another reader has already moved', async () => {
    const store = await freshStore();
    await writeAsBefore(store, LEGACY_SID, { count: 1 });
    const fresher = await call<SessionData | null>((cb) => store.get(LEGACY_SID, cb)); // moved...
    await call((cb) => store.set(LEGACY_SID, { ...fresher, count: 2 } as SessionData, cb)); // ...and used
    await writeAsBefore(store, LEGACY_SID, { count: 1 }); // the copy a racing sweep or reader read

    const moved = await store.moveLegacySessions();
    const read = await call((cb) => store.get(LEGACY_SID, cb));

    expect(moved).toBe(0);
    expect(read).toMatchObject({ count: 2 });
    expect(await store.client.keys('sess:*')).toEqual([`sess:${storeKey(LEGACY_SID)}`]);
  });

  it('is built by createBackends to move plain-key sessions in the background once connected', async () => {
    const server = await startRedis();
    onTestFinished(() => server.close());
    const before = await connectedRedisStore(server.url, 'sess:');
    onTestFinished(() => before.close());
    await writeAsBefore(before, LEGACY_SID, { count: 1, userId: 42 });
    const logged = new Promise<string>((resolve) =>
      createBackends(
        testConfig({ SESSION_STORE: 'redis', REDIS_URL: server.url, SQLITE_PATH: ':memory:' }),
        logTo(resolve),
      ).then((backends) => onTestFinished(() => backends.close())),
    );

    const line = await logged;

    expect(JSON.parse(line)).toMatchObject({ moved: 1, msg: 'redis: sessions moved to hashed keys' });
    expect((await before.listByUser(42)).map((x) => x.key)).toEqual([storeKey(LEGACY_SID)]);
  });
});

/** A logger that hands its first line about moved sessions to `found`. */
function logTo(found: (line: string) => void) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const line = String(chunk);
      if (line.includes('moved')) found(line);
      done();
    },
  });
  return createLogger('info', sink);
}
