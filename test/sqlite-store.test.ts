import { join } from 'node:path';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors';
import { openDatabase } from '../src/sqlite-file';
import { storeKey } from '../src/stores/key';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { buildApp, sessionCookie, testConfig } from './helper';
import { call } from './support/callback';
import { tempDir } from './support/files';

function tempFile(): string {
  return join(tempDir('sessions-'), 'app.db');
}

const session = (expires: number, count = 1) =>
  ({
    cookie: { expires: new Date(expires).toISOString(), originalMaxAge: null },
    count,
  }) as unknown as SessionData;
const config = testConfig({ SESSION_STORE: 'sqlite' });

describe('SqliteSessionStore', () => {
  it('keeps a session across a restart: a new app on the same file continues the count', async () => {
    const path = tempFile();
    const first = new SqliteSessionStore({ path, maxSessions: 100 });
    const { app } = buildApp({ config, store: first });
    const one = await request(app).get('/increment').expect(200);
    const cookie = sessionCookie(one) ?? '';
    const two = await request(app).get('/increment').set('Cookie', cookie).expect(200);
    await first.close();

    const second = new SqliteSessionStore({ path, maxSessions: 100 });
    const three = await request(buildApp({ config, store: second }).app)
      .get('/increment')
      .set('Cookie', cookie)
      .expect(200);
    await second.close();

    expect([one.body.count, two.body.count, three.body.count]).toEqual([1, 2, 3]);
  });

  it('deletes expired rows when it prunes', async () => {
    let now = 1_000_000;
    const store = new SqliteSessionStore({ path: tempFile(), maxSessions: 100, now: () => now });
    await call((cb) => store.set('old', session(now + 1000), cb));
    await call((cb) => store.set('new', session(now + 60_000), cb));
    now += 5000;

    const removed = store.prune();

    const rows = store.db.prepare('SELECT sid FROM sessions').all();
    await store.close();
    expect(removed).toBe(1);
    expect(rows).toEqual([{ sid: storeKey('new') }]);
  });

  it('never holds more than maxSessions rows, evicting the one closest to expiry', async () => {
    const now = 1_000_000;
    const store = new SqliteSessionStore({ path: tempFile(), maxSessions: 3, now: () => now });
    for (let i = 0; i < 10; i++) await call((cb) => store.set(`s${i}`, session(now + 1000 + i), cb));
    await call((cb) => store.set('s9', session(now + 2000), cb)); // an update is not a new row

    const rows = store.db.prepare<[], { sid: string }>('SELECT sid FROM sessions').all();
    await store.close();
    expect(rows.map((r) => r.sid).sort()).toEqual(['s7', 's8', 's9'].map(storeKey).sort());
  });

  it('moves a session later in the eviction order when a save or touch takes its expiry to a later minute', async () => {
    const now = 1_000_000;
    const store = new SqliteSessionStore({ path: tempFile(), maxSessions: 3, now: () => now });
    for (const sid of ['saved', 'touched', 'idle'])
      await call((cb) => store.set(sid, session(now + 1000), cb));
    await call((cb) => store.set('saved', session(now + 120_000, 2), cb)); // two minutes on
    await call((cb) => store.touch('touched', session(now + 120_000), cb));

    await call((cb) => store.set('new', session(now + 1000), cb)); // past the cap: one goes

    const rows = store.db.prepare<[], { sid: string }>('SELECT sid FROM sessions').all();
    const saved = await call<SessionData | null>((cb) => store.get('saved', cb));
    await store.close();
    expect(rows.map((r) => r.sid).sort()).toEqual(['saved', 'touched', 'new'].map(storeKey).sort());
    expect(saved?.count).toBe(2);
  });

  it('holds the cap through the app when cookieless clients flood /increment', async () => {
    const store = new SqliteSessionStore({ path: tempFile(), maxSessions: 5 });
    const { app } = buildApp({ config, store });
    for (let i = 0; i < 12; i++) await request(app).get('/increment').expect(200);

    const length = await call<number>((cb) => store.length(cb));
    await store.close();
    expect(length).toBe(5);
  });

  it('records its schema version next to other components', async () => {
    const path = tempFile();
    const store = new SqliteSessionStore({ path, maxSessions: 10 });
    await store.close();

    const db = openDatabase(path);
    const row = db.prepare("SELECT version FROM schema_version WHERE name = 'sessions'").get();
    db.close();
    expect(row).toEqual({ version: 3 });
  });

  it('reports a closed database as unavailable and closes twice without error', async () => {
    const store = new SqliteSessionStore({ path: tempFile(), maxSessions: 10 });
    await store.close();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(call((cb) => store.get('x', cb))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves a database it was given open for its owner (the user store may share it)', async () => {
    const db = openDatabase(tempFile());
    const store = new SqliteSessionStore({ db, maxSessions: 10 });

    await store.close();

    expect(db.open).toBe(true);
    db.close();
  });

  it('answers 503 when the database is locked by another writer past the busy timeout', async () => {
    const path = tempFile();
    const store = new SqliteSessionStore({ path, maxSessions: 10 });
    store.db.pragma('busy_timeout = 50');
    const other = openDatabase(path);
    other.exec('BEGIN IMMEDIATE'); // holds the write lock

    const res = await request(buildApp({ config, store }).app).get('/increment');

    other.exec('ROLLBACK');
    other.close();
    await store.close();
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual({ error: 'Session store unavailable' });
  });
});
