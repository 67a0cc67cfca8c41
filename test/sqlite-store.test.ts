import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { openDatabase } from '../src/sqlite/database';
import { storeKey } from '../src/stores/key';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { buildApp, cookieFrom } from './helper';
import { call } from './support/callback';
import { tempDatabase } from './support/stores';

const session = (expires: number, count = 1) =>
  ({
    cookie: { expires: new Date(expires).toISOString(), originalMaxAge: null },
    count,
  }) as unknown as SessionData;

const keysIn = (store: SqliteSessionStore) =>
  store.db
    .prepare<[], { sid: string }>('SELECT sid FROM sessions')
    .all()
    .map((r) => r.sid)
    .sort();

describe('SqliteSessionStore', () => {
  it('keeps a session across a restart: a new app on the same file continues the count', async () => {
    const { db, path } = tempDatabase();
    const first = new SqliteSessionStore({ db, maxSessions: 100 });
    const { app } = buildApp({ backend: first });
    const one = await request(app).get('/increment').expect(200);
    const cookie = cookieFrom(one);
    const two = await request(app).get('/increment').set('Cookie', cookie).expect(200);
    await first.close();
    db.close();

    const reopened = openDatabase(path);
    const second = new SqliteSessionStore({ db: reopened, maxSessions: 100 });
    const three = await request(buildApp({ backend: second }).app)
      .get('/increment')
      .set('Cookie', cookie)
      .expect(200);
    await second.close();
    reopened.close();

    expect([one.body.count, two.body.count, three.body.count]).toEqual([1, 2, 3]);
  });

  it('deletes the expired rows when it prunes, and only those', async () => {
    const store = new SqliteSessionStore({ db: tempDatabase().db, maxSessions: 100 });
    const now = Date.now();
    await call((cb) => store.set('old', session(now + 1000), cb));
    await call((cb) => store.set('new', session(now + 600_000), cb));

    const removed = store.prune(now + 120_000);

    await store.close();
    expect(removed).toBe(1);
    expect(keysIn(store)).toEqual(['new']);
  });

  it('moves a session later in the eviction order when a save or touch takes its expiry to a later minute', async () => {
    const store = new SqliteSessionStore({ db: tempDatabase().db, maxSessions: 3 });
    const now = Date.now();
    for (const key of ['saved', 'touched', 'idle'])
      await call((cb) => store.set(key, session(now + 1000), cb));
    await call((cb) => store.set('saved', session(now + 120_000, 2), cb)); // two minutes on
    await call((cb) => store.touch('touched', session(now + 120_000), cb));

    await call((cb) => store.set('new', session(now + 1000), cb)); // past the cap: one goes

    const saved = await call<SessionData | null>((cb) => store.get('saved', cb));
    await store.close();
    expect(keysIn(store)).toEqual(['new', 'saved', 'touched']);
    expect(saved?.count).toBe(2);
  });

  it('holds the cap through the app when cookieless clients flood /increment', async () => {
    const store = new SqliteSessionStore({ db: tempDatabase().db, maxSessions: 5 });
    const { app } = buildApp({ backend: store });
    for (let i = 0; i < 12; i++) await request(app).get('/increment').expect(200);

    const length = await call<number>((cb) => store.length(cb));
    await store.close();
    expect(length).toBe(5);
  });

  it('records its schema version next to other components, and keeps a row to its four columns', async () => {
    const { db } = tempDatabase();
    const store = new SqliteSessionStore({ db, maxSessions: 10 });
    await store.close();

    const row = db.prepare("SELECT version FROM schema_version WHERE name = 'sessions'").get();
    const columns = db.prepare("SELECT name FROM pragma_table_info('sessions')").all();
    expect(row).toEqual({ version: 5 });
    expect(columns).toEqual([
      { name: 'sid' },
      { name: 'data' },
      { name: 'expires' },
      { name: 'expires_minute' },
    ]);
  });

  it('reports a closed database as unavailable, and closes twice without error', async () => {
    const { db } = tempDatabase();
    const store = new SqliteSessionStore({ db, maxSessions: 10 });
    db.close();
    await store.close();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(call((cb) => store.get(storeKey('x'), cb))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves the database it was given open for its owner (the user store shares it)', async () => {
    const { db } = tempDatabase();
    const store = new SqliteSessionStore({ db, maxSessions: 10 });

    await store.close();

    expect(db.open).toBe(true);
  });

  it('answers 503 at once while another connection holds the write lock', async () => {
    const { db, path } = tempDatabase();
    const store = new SqliteSessionStore({ db, maxSessions: 10 });
    const other = openDatabase(path);
    other.exec('BEGIN IMMEDIATE'); // holds the write lock

    const res = await request(buildApp({ backend: store }).app).get('/increment');

    other.exec('ROLLBACK');
    other.close();
    await store.close();
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual({ error: 'Session store unavailable' });
  });
});
