import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Database, migrate, openDatabase } from '../src/sqlite/database';
import { storeKey } from '../src/stores/key';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { MIGRATIONS } from '../src/stores/sqlite-sql';
import { buildApp, signedSessionId } from './helper';
import { call } from './support/callback';
import { tempDir } from './support/files';

const newId = () => randomBytes(24).toString('base64url'); // as express-session makes them
const stored = (fields: Record<string, unknown>) =>
  JSON.stringify({
    cookie: { expires: new Date(Date.now() + 3_600_000).toISOString(), httpOnly: true, path: '/' },
    ...fields,
  });
const cookieFor = (sid: string) => `sid=${encodeURIComponent(signedSessionId(sid))}`;

/** The session store on the file at path, as the server opens it; closed after the test. */
function storeOn(path: string, maxSessions = 1000): { db: Database; store: SqliteSessionStore } {
  const db = openDatabase(path);
  const store = new SqliteSessionStore({ db, maxSessions });
  onTestFinished(() => {
    void store.close();
    if (db.open) db.close();
  });
  return { db, store };
}

const tables = (db: Database) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((t) => t.name);

/**
 * A file as the schema-1 store left it when its process died: the shipped first migration, rows under
 * plain IDs, older copies of rows in the -wal file and in free pages. Returns copies of the .db and
 * -wal taken while the writer was still open (closing would checkpoint and delete the WAL).
 */
function schemaOneFile() {
  const dir = tempDir('sqlite-upgrade-');
  const live = join(dir, 'live.db');
  const db = openDatabase(live);
  db.exec(MIGRATIONS[0] as string);
  db.prepare("INSERT INTO schema_version (name, version) VALUES ('sessions', 1)").run();
  const insert = db.prepare('INSERT INTO sessions (sid, data, expires) VALUES (?, ?, ?)');
  const later = Date.now() + 3_600_000;
  const ended = Array.from({ length: 300 }, newId);
  for (const sid of ended) insert.run(sid, stored({ count: 1 }), later);
  db.pragma('wal_checkpoint(TRUNCATE)'); // these reach the .db file...
  db.pragma('wal_autocheckpoint = 0'); // ...and everything after stays in the -wal
  db.prepare('DELETE FROM sessions').run(); // free pages still hold their IDs
  const anonymous = newId();
  const loggedIn = newId();
  const corrupt = `${newId()}x`;
  const remove = db.prepare('DELETE FROM sessions WHERE sid = ?');
  for (let count = 1; count < 41; count++) {
    insert.run(anonymous, stored({ count }), later); // each earlier copy stays in the WAL
    remove.run(anonymous);
  }
  insert.run(anonymous, stored({ count: 41 }), later);
  insert.run(loggedIn, stored({ count: 2, userId: 12, loginAt: Date.now() }), later);
  insert.run(corrupt, '{"cookie": {', later); // a corrupt row must not stop the upgrade
  const path = join(dir, 'app.db');
  copyFileSync(live, path);
  copyFileSync(`${live}-wal`, `${path}-wal`);
  db.close();
  return {
    path,
    anonymous,
    live: [anonymous, loggedIn, corrupt],
    plainIds: [...ended, anonymous, loggedIn, corrupt],
  };
}

/** Whether any of the IDs appears anywhere in the bytes of the database file or its WAL. */
function filesContain(path: string, ids: string[]): boolean {
  const bytes = [path, `${path}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n');
  return ids.some((id) => bytes.includes(id));
}

describe('upgrading a schema-1 SQLite session file', () => {
  it('keeps every session under its hash: the old cookie goes on counting through the app', async () => {
    const { path, anonymous, live } = schemaOneFile();
    const { db, store } = storeOn(path);
    const keys = db.prepare<[], { sid: string }>('SELECT sid FROM sessions').all();
    const { app } = buildApp({ backend: store });

    const res = await request(app).get('/increment').set('Cookie', cookieFor(anonymous)).expect(200);

    expect(keys.map((k) => k.sid).sort()).toEqual(live.map(storeKey).sort());
    expect(res.body.count).toBe(42);
  });

  it('leaves no plain session ID in the database file or its WAL', async () => {
    const { path, plainIds } = schemaOneFile();
    const before = filesContain(path, plainIds);

    const { db } = storeOn(path);
    const after = filesContain(path, plainIds);
    const version = db.prepare("SELECT version FROM schema_version WHERE name = 'sessions'").get();

    expect(before).toBe(true); // the test sees them when they are there
    expect(after).toBe(false);
    expect(version).toEqual({ version: 5 });
  });
});

describe('upgrading a schema-2 SQLite session file', () => {
  // rows written newest expiry first, so the table's own order is the reverse of the expiry order
  function schemaTwoFile(expiries: number[]) {
    const path = join(tempDir('sqlite-upgrade-'), 'app.db');
    const db = openDatabase(path);
    migrate(db, 'sessions', MIGRATIONS.slice(0, 2));
    const insert = db.prepare('INSERT INTO sessions (sid, data, expires, user_id) VALUES (?, ?, ?, NULL)');
    const ids = expiries.map(() => newId());
    for (const [i, expires] of expiries.entries())
      insert.run(storeKey(ids[i] as string), stored({ count: i + 1 }), expires);
    db.close();
    return { path, ids };
  }

  it('keeps every session and ends the one closest to expiry at the cap, as before', async () => {
    const hour = 3_600_000;
    const { path, ids } = schemaTwoFile([Date.now() + 3 * hour, Date.now() + 2 * hour, Date.now() + hour]);
    const { store } = storeOn(path, 3);
    const { app } = buildApp({ backend: store });

    await request(app).get('/increment').expect(200); // a fourth session: the soonest to expire goes
    const counts = [];
    for (const id of ids.slice(0, 2))
      counts.push((await request(app).get('/increment').set('Cookie', cookieFor(id))).body.count);
    const gone = await call<SessionData | null>((cb) => store.get(storeKey(ids[2] as string), cb));

    expect(counts).toEqual([2, 3]);
    expect(gone).toBeNull();
  });

  it("drops schema 2's per-user index, which logins as rows replaced", () => {
    const { path } = schemaTwoFile([Date.now() + 3_600_000]);
    const { db } = storeOn(path);

    const columns = db.prepare("SELECT name FROM pragma_table_info('sessions')").all();
    const indexes = db.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sessions'",
    );

    expect(columns).not.toContainEqual({ name: 'user_id' });
    expect(indexes.all()).not.toContainEqual({ name: 'sessions_user' });
  });
});

describe('upgrading a schema-3 SQLite file that the previous version locked sessions in', () => {
  /** Schema 3 sessions beside the previous version's lock tables, tombstones and their schema row. */
  function schemaThreeFile() {
    const path = join(tempDir('sqlite-upgrade-'), 'app.db');
    const db = openDatabase(path);
    migrate(db, 'sessions', MIGRATIONS.slice(0, 3));
    migrate(db, 'session_locks', [
      'CREATE TABLE session_locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;',
      'CREATE TABLE lock_processes (token TEXT PRIMARY KEY, pid INTEGER NOT NULL, beat INTEGER NOT NULL, shared INTEGER NOT NULL) WITHOUT ROWID;',
    ]);
    const sid = newId();
    const expires = Date.now() + 3_600_000;
    db.prepare('INSERT INTO sessions (sid, data, expires, expires_minute) VALUES (?, ?, ?, ?)').run(
      storeKey(sid),
      stored({ count: 7 }),
      expires,
      Math.floor(expires / 60_000),
    );
    db.prepare('INSERT INTO session_tombstones (key, expires) VALUES (?, ?)').run(storeKey(newId()), expires);
    db.prepare("INSERT INTO session_locks VALUES (?, 'owner', 1, ?)").run(storeKey(sid), expires);
    db.close();
    return { path, sid };
  }

  it('drops the lock tables, the tombstones and the lock schema row, and keeps the sessions', async () => {
    const { path, sid } = schemaThreeFile();
    const old = openDatabase(path);
    const before = tables(old);
    old.close();

    const { db, store } = storeOn(path);

    const components = db
      .prepare<[], { name: string }>('SELECT name FROM schema_version ORDER BY name')
      .all();
    const res = await request(buildApp({ backend: store }).app)
      .get('/increment')
      .set('Cookie', cookieFor(sid));
    expect(before).toEqual(expect.arrayContaining(['lock_processes', 'session_locks', 'session_tombstones']));
    expect(tables(db)).toEqual(['schema_version', 'sessions']);
    expect(components.map((c) => c.name)).toEqual(['sessions']);
    expect(res.body.count).toBe(8);
  });
});
