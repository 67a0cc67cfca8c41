import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { storeKey } from '../src/stores/key';
import type { RedisSessionStore, RedisStoreOptions } from '../src/stores/redis';
import { call } from './support/callback';
import { connectedRedisStore, redisAvailable, useRedis } from './support/redis';

const redis = useRedis({ when: redisAvailable('redis index tests') });
let made = 0;
const prefixes = new Map<RedisSessionStore, string>();

async function store(options: Partial<RedisStoreOptions> = {}): Promise<RedisSessionStore> {
  const prefix = `idx${++made}:`;
  const s = await connectedRedisStore(redis.url, prefix, options);
  prefixes.set(s, prefix);
  onTestFinished(() => s.close());
  return s;
}

const prefixOf = (s: RedisSessionStore) => prefixes.get(s) ?? '';

/** A session expiring in `inMs`, logged in as userId when given. */
function session(inMs: number, userId?: number): SessionData {
  const cookie = { originalMaxAge: inMs, expires: new Date(Date.now() + inMs).toISOString(), path: '/' };
  return { cookie, count: 1, ...(userId === undefined ? {} : { userId }) } as unknown as SessionData;
}

const save = (s: RedisSessionStore, sid: string, data: SessionData) => call((cb) => s.set(sid, data, cb));
const load = (s: RedisSessionStore, sid: string) => call<SessionData | null>((cb) => s.get(sid, cb));
const indexOf = (s: RedisSessionStore, userId: number) =>
  s.client.zRange(`index:${prefixOf(s)}user:${userId}`, 0, -1);

afterEach(async () => {
  vi.useRealTimers();
});

describe.skipIf(!redisAvailable('redis index tests'))('RedisSessionStore keys, cap and index', () => {
  it('ends the session closest to expiry when a new one arrives at the cap', async () => {
    const s = await store({ maxSessions: 3 });
    await save(s, 'a', session(60_000));
    await save(s, 'b', session(70_000));
    await save(s, 'c', session(80_000));
    await call((cb) => s.touch('a', session(90_000), cb)); // a was active again: b is now the oldest

    await save(s, 'd', session(60_000));
    await save(s, 'a', session(95_000)); // an update at the cap evicts nobody

    expect(await load(s, 'b')).toBeNull();
    for (const sid of ['a', 'c', 'd']) expect(await load(s, sid)).toMatchObject({ count: 1 });
    expect(await call((cb) => s.length(cb))).toBe(3);
  });

  it('drains a lowered cap a few sessions per save instead of all at once', async () => {
    const before = await store({ maxSessions: 100 });
    for (let i = 0; i < 6; i++) await save(before, `s${i}`, session(60_000 + i * 1000));
    const after = await connectedRedisStore(redis.url, prefixOf(before), { maxSessions: 3 });
    onTestFinished(() => after.close());

    await save(after, 'new', session(90_000));

    expect(await call((cb) => after.length(cb))).toBe(3);
    expect(await load(after, 's5')).toMatchObject({ count: 1 }); // the latest to expire stay
    expect(await load(after, 's3')).toBeNull();
  });

  it('runs its scripts again after Redis has forgotten them (a restart, SCRIPT FLUSH)', async () => {
    const s = await store();
    await save(s, 'a', session(60_000));
    await s.client.scriptFlush();

    await save(s, 'a', session(60_000, 7));

    expect(await load(s, 'a')).toMatchObject({ userId: 7 });
  });

  it('gives a session whose cookie has no expiry the idle lifetime, on save and on touch', async () => {
    const s = await store({ ttlMs: 300_000 });
    const browserSession = () =>
      ({ cookie: { originalMaxAge: null, expires: null }, count: 1 }) as unknown as SessionData;
    const key = `${prefixOf(s)}${storeKey('a')}`;

    await save(s, 'a', browserSession());
    const afterSave = await s.client.pTTL(key);
    await s.client.pExpire(key, 1000);
    await call((cb) => s.touch('a', browserSession(), cb));
    const afterTouch = await s.client.pTTL(key);

    expect(afterSave).toBeGreaterThan(290_000);
    expect(afterSave).toBeLessThanOrEqual(300_000);
    expect(afterTouch).toBeGreaterThan(290_000);
  });

  it("lists a user's live sessions by store key, and indexes no anonymous one", async () => {
    const s = await store();
    await save(s, 'a', session(60_000, 7));
    await save(s, 'b', session(120_000, 7));
    await save(s, 'c', session(60_000, 8));
    await save(s, 'anon', session(60_000));

    const list = await s.listByUser(7);
    const indexes = await s.client.keys(`index:${prefixOf(s)}user:*`);

    expect(list.map((x) => x.key).sort()).toEqual([storeKey('a'), storeKey('b')].sort());
    const b = list.find((x) => x.key === storeKey('b'));
    expect(b?.data).toMatchObject({ userId: 7, count: 1 });
    expect(b?.expiresAt).toBeGreaterThan(Date.now() + 110_000);
    expect(indexes.sort()).toEqual([`index:${prefixOf(s)}user:7`, `index:${prefixOf(s)}user:8`]);
  });

  it('prunes index members whose session has expired or is gone when it is read', async () => {
    const s = await store();
    await save(s, 'short', session(60_000, 7));
    await save(s, 'gone', session(120_000, 7));
    await save(s, 'long', session(180_000, 7));
    await s.client.del(`${prefixOf(s)}${storeKey('gone')}`); // as an eviction or a lost write would
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 90_000 }); // past short's expiry

    const list = await s.listByUser(7);

    expect(list.map((x) => x.key)).toEqual([storeKey('long')]);
    expect(await indexOf(s, 7)).toEqual([storeKey('long')]);
  });

  it('lets the per-user set expire with the last of its sessions', async () => {
    const s = await store();
    const setKey = `index:${prefixOf(s)}user:7`;
    const later = session(120_000, 7);
    await save(s, 'b', later);
    await save(s, 'a', session(60_000, 7)); // a shorter one does not shorten the set's life

    const first = await s.client.pExpireTime(setKey);
    const extended = session(180_000, 7);
    await call((cb) => s.touch('a', extended, cb));
    const second = await s.client.pExpireTime(setKey);

    expect(first).toBe(new Date(later.cookie.expires as unknown as string).getTime());
    expect(second).toBe(new Date(extended.cookie.expires as unknown as string).getTime());
  });
});

describe.skipIf(!redisAvailable('redis index tests'))('RedisSessionStore revocation', () => {
  it('ends every session of a user but the one kept, and only theirs', async () => {
    const s = await store();
    for (const sid of ['a', 'b', 'c']) await save(s, sid, session(60_000, 7));
    await save(s, 'other', session(60_000, 8));

    const ended = await s.destroyByUser(7, { except: 'b' });

    expect(ended).toBe(2);
    expect(await load(s, 'a')).toBeNull();
    expect(await load(s, 'c')).toBeNull();
    expect(await load(s, 'b')).toMatchObject({ userId: 7 });
    expect(await load(s, 'other')).toMatchObject({ userId: 8 });
    expect((await s.listByUser(7)).map((x) => x.key)).toEqual([storeKey('b')]);
  });

  it('does not end a session that has moved on to another user, nor one that is corrupt', async () => {
    const s = await store();
    await save(s, 'a', session(60_000, 7));
    await save(s, 'a', session(60_000, 8)); // the same ID, now someone else's
    await save(s, 'b', session(60_000, 7));
    await s.client.set(`${prefixOf(s)}${storeKey('b')}`, 'not json', {
      expiration: { type: 'PX', value: 60_000 },
    });

    const ended = await s.destroyByUser(7);

    expect(ended).toBe(0);
    expect(await load(s, 'a')).toMatchObject({ userId: 8 });
    expect(await indexOf(s, 7)).toEqual([]);
    await save(s, 'a', session(60_000, 8)); // and no tombstone got in the way of its writes
    expect((await s.listByUser(8)).map((x) => x.key)).toEqual([storeKey('a')]);
  });

  it('drops a write-back of a revoked session from another instance, at once', async () => {
    const one = await store({ tombstoneMs: 5000 });
    const two = await connectedRedisStore(redis.url, prefixOf(one), { tombstoneMs: 5000 });
    onTestFinished(() => two.close());
    await save(one, 'a', session(60_000, 7));
    await save(one, 'b', session(60_000, 7));
    const inFlight = (await load(two, 'a')) as SessionData; // a request on instance two holds 'a'

    await one.destroyByUser(7);
    await save(two, 'a', inFlight); // its save comes after the revoke: no error, no write
    await call((cb) => two.touch('b', session(60_000, 7), cb));
    const tombstone = await one.client.pTTL(`tombstone:${prefixOf(one)}${storeKey('a')}`);

    expect(await load(one, 'a')).toBeNull();
    expect(await load(one, 'b')).toBeNull();
    expect(tombstone).toBeGreaterThan(0);
    expect(tombstone).toBeLessThanOrEqual(5000);
  });

  it('ends one session by its store key, once, and refuses its write-back', async () => {
    const s = await store();
    await save(s, 'a', session(60_000, 7));

    const first = await s.destroyByKey(storeKey('a'));
    const second = await s.destroyByKey(storeKey('a'));
    const notAKey = await s.destroyByKey('a');
    await save(s, 'a', session(60_000, 7));

    expect([first, second, notAKey]).toEqual([true, false, false]);
    expect(await load(s, 'a')).toBeNull();
    expect(await s.listByUser(7)).toEqual([]);
  });

  it('leaves no tombstone after a plain logout, so the ID could be written again', async () => {
    const s = await store();
    await save(s, 'a', session(60_000, 7));

    await call((cb) => s.destroy('a', cb));
    const afterLogout = await load(s, 'a');
    await save(s, 'a', session(60_000, 7));

    expect(afterLogout).toBeNull();
    expect(await load(s, 'a')).toMatchObject({ userId: 7 });
    expect(await s.client.keys(`tombstone:${prefixOf(s)}*`)).toEqual([]);
  });
});
