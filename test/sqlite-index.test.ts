import { join } from 'node:path';
import type { SessionData } from 'express-session';
import { describe, expect, it, onTestFinished } from 'vitest';
import { storeKey } from '../src/stores/key';
import { SqliteSessionStore, type SqliteStoreOptions } from '../src/stores/sqlite';
import { call } from './support/callback';
import { tempDir } from './support/files';

/** A store on a fresh file with a clock the test moves; `open` adds another connection to the same file. */
function setup(options: Partial<SqliteStoreOptions> = {}) {
  const dir = tempDir('sqlite-index-');
  const clock = { now: 1_000_000 };
  const open = () => {
    const store = new SqliteSessionStore({
      path: join(dir, 'app.db'),
      maxSessions: 100,
      now: () => clock.now,
      ...options,
    });
    onTestFinished(() => store.close());
    return store;
  };
  return { store: open(), open, clock };
}

const session = (fields: Partial<SessionData>, expires: number | null = 2_000_000) =>
  ({
    cookie: { expires: expires === null ? null : new Date(expires).toISOString(), originalMaxAge: null },
    ...fields,
  }) as SessionData;

const put = (store: SqliteSessionStore, sid: string, data: SessionData) =>
  call((cb) => store.set(sid, data, cb));
const read = (store: SqliteSessionStore, sid: string) => call<SessionData | null>((cb) => store.get(sid, cb));
const rows = (store: SqliteSessionStore) =>
  store.db
    .prepare<[], { sid: string; user_id: number | null; expires: number }>(
      'SELECT sid, user_id, expires FROM sessions ORDER BY sid',
    )
    .all();

describe('SqliteSessionStore keys and per-user index', () => {
  it('stores the hash of the ID with the user in the same row, and NULL for an anonymous session', async () => {
    const { store } = setup();

    await put(store, 'alice-phone', session({ userId: 7, count: 1 }));
    await put(store, 'visitor', session({ count: 3 }));

    expect(rows(store)).toEqual(
      [
        { sid: storeKey('alice-phone'), user_id: 7, expires: 2_000_000 },
        { sid: storeKey('visitor'), user_id: null, expires: 2_000_000 },
      ].sort((a, b) => a.sid.localeCompare(b.sid)),
    );
  });

  it('lists only the live sessions of one user, with key, data and expiry', async () => {
    const { store, clock } = setup();
    await put(store, 'a1', session({ userId: 1, count: 1 }, 2_000_000));
    await put(store, 'a2', session({ userId: 1, count: 2 }, 1_500_000));
    await put(store, 'b1', session({ userId: 2 }));
    clock.now = 1_600_000; // a2 has expired

    const listed = await store.listByUser(1);

    expect(listed).toEqual([
      { key: storeKey('a1'), data: expect.objectContaining({ userId: 1, count: 1 }), expiresAt: 2_000_000 },
    ]);
  });

  it('moves a session between users when it is saved with another userId (login, logout in place)', async () => {
    const { store } = setup();
    await put(store, 's', session({ userId: 1 }));

    await put(store, 's', session({ userId: 2 }));

    expect(await store.listByUser(1)).toEqual([]);
    expect((await store.listByUser(2)).map((s) => s.key)).toEqual([storeKey('s')]);
  });

  it('ends every session of a user but the one named, and counts the ones that ended', async () => {
    const { store } = setup();
    for (const sid of ['u1', 'u2', 'u3']) await put(store, sid, session({ userId: 5 }));
    await put(store, 'other', session({ userId: 6 }));

    const ended = await store.destroyByUser(5, { except: 'u2' });

    expect(ended).toBe(2);
    expect((await store.listByUser(5)).map((s) => s.key)).toEqual([storeKey('u2')]);
    expect(await read(store, 'other')).toMatchObject({ userId: 6 });
    expect(await store.destroyByUser(5)).toBe(1);
    expect(await store.listByUser(5)).toEqual([]);
  });

  it('ends one session by its store key and says whether it was there', async () => {
    const { store } = setup();
    await put(store, 'phone', session({ userId: 3 }));

    expect(await store.destroyByKey(storeKey('phone'))).toBe(true);
    expect(await store.destroyByKey(storeKey('phone'))).toBe(false);
    expect(await read(store, 'phone')).toBeFalsy();
  });

  it('drops an evicted session from the index with its row', async () => {
    const { store } = setup({ maxSessions: 2 });
    await put(store, 'old', session({ userId: 9 }, 1_100_000));
    await put(store, 'mid', session({ userId: 9 }, 1_200_000));

    await put(store, 'new', session({}, 1_300_000)); // past the cap: the one closest to expiry goes

    expect((await store.listByUser(9)).map((s) => s.key)).toEqual([storeKey('mid')]);
  });
});

describe('SqliteSessionStore tombstones', () => {
  it('drops a late save or touch of a session ended by key, without an error', async () => {
    const { store } = setup();
    const data = session({ userId: 4, count: 1 });
    await put(store, 'revoked', data);
    await store.destroyByKey(storeKey('revoked'));

    await put(store, 'revoked', session({ userId: 4, count: 2 })); // an in-flight request's save
    await call((cb) => store.touch('revoked', session({ userId: 4, count: 2 }), cb));

    expect(await read(store, 'revoked')).toBeFalsy();
    expect(await store.listByUser(4)).toEqual([]);
  });

  it('drops a late save of a session ended with its user, seen from another connection to the file', async () => {
    const { store, open } = setup();
    await put(store, 'laptop', session({ userId: 8 }));
    await store.destroyByUser(8);

    const otherProcess = open(); // tombstones live in the file, not in one process's memory
    await put(otherProcess, 'laptop', session({ userId: 8, count: 9 }));

    expect(await read(otherProcess, 'laptop')).toBeFalsy();
  });

  it('lets the key be written again once the tombstone has expired, and prunes it', async () => {
    const { store, clock } = setup({ tombstoneMs: 5000 });
    await store.destroyByKey(storeKey('k'));
    clock.now += 5000;

    store.prune();
    await put(store, 'k', session({ count: 1 }));

    expect(await read(store, 'k')).toMatchObject({ count: 1 });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM session_tombstones').get()).toEqual({ n: 0 });
  });

  it('leaves no tombstone after a plain destroy (logout): the ID may be saved again', async () => {
    const { store } = setup();
    await put(store, 'gone', session({ count: 1 }));
    await call((cb) => store.destroy('gone', cb));

    await put(store, 'gone', session({ count: 2 }));

    expect(await read(store, 'gone')).toMatchObject({ count: 2 });
  });
});

describe('SqliteSessionStore expiry of a browser-session cookie', () => {
  it('stores a cookie without an expiry for the idle lifetime, and renews it on touch', async () => {
    const { store, clock } = setup({ ttlMs: 60_000 });
    await put(store, 'tab', session({ count: 1 }, null));
    const first = rows(store)[0]?.expires;
    clock.now += 30_000;

    await call((cb) => store.touch('tab', session({ count: 1 }, null), cb));

    expect(first).toBe(1_000_000 + 60_000);
    expect(rows(store)[0]?.expires).toBe(1_030_000 + 60_000);
    clock.now += 60_000;
    expect(await read(store, 'tab')).toBeFalsy();
  });
});
