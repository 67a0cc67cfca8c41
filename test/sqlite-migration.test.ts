import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../src/sqlite-file';
import { storeKey } from '../src/stores/key';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { MIGRATIONS } from '../src/stores/sqlite-sql';
import { buildApp, signedSessionId, testConfig } from './helper';
import { tempDir } from './support/files';

const newId = () => randomBytes(24).toString('base64url'); // as express-session makes them
const stored = (fields: Record<string, unknown>) =>
  JSON.stringify({
    cookie: { expires: new Date(Date.now() + 3_600_000).toISOString(), httpOnly: true, path: '/' },
    ...fields,
  });

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
  const remove = db.prepare('DELETE FROM sessions WHERE sid = ?');
  for (let count = 1; count < 41; count++) {
    insert.run(anonymous, stored({ count }), later); // each earlier copy stays in the WAL
    remove.run(anonymous);
  }
  insert.run(anonymous, stored({ count: 41 }), later);
  insert.run(loggedIn, stored({ count: 2, userId: 12, loginAt: Date.now() }), later);
  insert.run(`${newId()}x`, '{"cookie": {', later); // a corrupt row must not stop the upgrade
  const path = join(dir, 'app.db');
  copyFileSync(live, path);
  copyFileSync(`${live}-wal`, `${path}-wal`);
  db.close();
  return { path, anonymous, loggedIn, plainIds: [...ended, anonymous, loggedIn] };
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
  it('keeps every session: the old cookie goes on counting through the app', async () => {
    const { path, anonymous } = schemaOneFile();
    const store = new SqliteSessionStore({ path, maxSessions: 1000 });
    const { app } = buildApp({ config: testConfig({ SESSION_STORE: 'sqlite' }), store });

    const res = await request(app)
      .get('/increment')
      .set('Cookie', `sid=${encodeURIComponent(signedSessionId(anonymous))}`)
      .expect(200);

    await store.close();
    expect(res.body.count).toBe(42);
  });

  it('indexes the sessions logged in before the upgrade under their user', async () => {
    const { path, loggedIn } = schemaOneFile();
    const store = new SqliteSessionStore({ path, maxSessions: 1000 });

    const listed = await store.listByUser(12);

    await store.close();
    expect(listed.map((s) => s.key)).toEqual([storeKey(loggedIn)]);
  });

  it('leaves no plain session ID in the database file or its WAL', async () => {
    const { path, plainIds } = schemaOneFile();
    const before = filesContain(path, plainIds);

    const store = new SqliteSessionStore({ path, maxSessions: 1000 });
    const after = filesContain(path, plainIds);
    const version = store.db.prepare("SELECT version FROM schema_version WHERE name = 'sessions'").get();
    await store.close();

    expect(before).toBe(true); // the test sees them when they are there
    expect(after).toBe(false);
    expect(version).toEqual({ version: 3 });
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
    for (const [i, expires] of expiries.entries()) {
      insert.run(storeKey(ids[i] as string), stored({ count: i + 1 }), expires);
    }
    db.close();
    return { path, ids };
  }

  it('keeps every session and ends the one closest to expiry at the cap, as before', async () => {
    const hour = 3_600_000;
    const { path, ids } = schemaTwoFile([Date.now() + 3 * hour, Date.now() + 2 * hour, Date.now() + hour]);
    const store = new SqliteSessionStore({ path, maxSessions: 3 });
    const { app } = buildApp({ config: testConfig({ SESSION_STORE: 'sqlite' }), store });

    await request(app).get('/increment').expect(200); // a fourth session: the soonest to expire goes
    const counts = [];
    for (const id of ids.slice(0, 2)) {
      const res = await request(app)
        .get('/increment')
        .set('Cookie', `sid=${encodeURIComponent(signedSessionId(id))}`);
      counts.push(res.body.count);
    }
    const gone = await new Promise((resolve) => store.get(ids[2] as string, (_err, s) => resolve(s)));

    await store.close();
    expect(counts).toEqual([2, 3]);
    expect(gone).toBeNull();
  });
});
