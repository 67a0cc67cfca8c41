import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Express } from 'express';
import pg from 'pg';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../src/app';
import { createBackends } from '../src/backends';
import { type Config, loadConfig } from '../src/config';
import { migrate, openDatabase } from '../src/sqlite/database';
import { storeKey } from '../src/stores/key';
import { MIGRATIONS as SESSION_MIGRATIONS } from '../src/stores/sqlite-sql';
import { MIGRATIONS as USER_MIGRATIONS } from '../src/users/sqlite-sql';
import { signedSessionId, silentLogger, TEST_SECRET } from './helper';
import { tempDir } from './support/files';
import { createDatabase, usePostgres } from './support/postgres';
import { connectedClient, redisAvailable, useRedis } from './support/redis';

// what the previous version stored: the login inside the session, a generation per user
const HOUR = 3_600_000;
const now = Date.now();
const ID = {
  anonymous: 'a'.repeat(32),
  alice: 'b'.repeat(32),
  revoked: 'c'.repeat(32),
  expired: 'd'.repeat(32),
};
const cookie = (id: string) => `sid=${encodeURIComponent(signedSessionId(id))}`;
const oldSession = (extra: object) =>
  JSON.stringify({
    cookie: {
      originalMaxAge: 86_400_000,
      expires: new Date(now + 86_400_000).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
      secure: false,
    },
    ...extra,
  });
const loggedIn = (userId: number, generation: number, loginAt: number) => ({
  userId,
  loginAt,
  authAt: loginAt,
  generation,
  previousIdPrefix: 'zzzzzz',
  ip: '127.0.0.1',
  device: 'Firefox 140 on Linux',
  persistent: true,
});
const OLD_SESSIONS: Array<[string, string]> = [
  [ID.anonymous, oldSession({ count: 5 })],
  [ID.alice, oldSession({ count: 2, ...loggedIn(1, 1, now - HOUR) })],
  [ID.revoked, oldSession({ ...loggedIn(1, 0, now - HOUR) })], // generation behind alice's: revoked
  [ID.expired, oldSession({ ...loggedIn(2, 0, now - 13 * HOUR) })], // past LOGIN_MAX_AGE_SECONDS
];

/** A SQLite file as the previous version left it: its schemas, users with generations, lock tables. */
function oldFile(path: string, withSessions: boolean): void {
  const db = openDatabase(path);
  migrate(db, 'users', USER_MIGRATIONS.slice(0, 2));
  db.exec(`INSERT INTO users (id, username, password_hash, created_at, generation)
           VALUES (1, 'alice', 'x', 0, 1), (2, 'bob', 'x', 0, 0)`);
  if (withSessions) {
    migrate(db, 'sessions', SESSION_MIGRATIONS.slice(0, 3));
    db.exec(`CREATE TABLE session_locks (key TEXT PRIMARY KEY, owner TEXT, pid INTEGER, expires INTEGER);
             CREATE TABLE lock_processes (token TEXT PRIMARY KEY, pid INTEGER, beat INTEGER, shared INTEGER);
             INSERT INTO lock_processes VALUES ('gone', 1, ${now - 60_000}, 1)`);
    const insert = db.prepare(
      'INSERT INTO sessions (sid, data, expires, user_id, expires_minute) VALUES (?, ?, ?, ?, ?)',
    );
    for (const [id, json] of OLD_SESSIONS) {
      const userId = (JSON.parse(json) as { userId?: number }).userId ?? null;
      insert.run(storeKey(id), json, now + 86_400_000, userId, Math.floor((now + 86_400_000) / 60_000));
    }
  }
  db.close();
}

const config = (env: Record<string, string>): Config =>
  loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    SCRYPT_COST: '1024',
    ...env,
  });

async function start(env: Record<string, string>): Promise<Express> {
  const c = config(env);
  const backends = await createBackends(c, silentLogger);
  onTestFinished(() => backends.close());
  return createApp({ ...backends, config: c, logger: silentLogger });
}

/** What a user of the previous version sees right after the upgrade. */
async function expectNobodyLoggedOut(app: Express) {
  await request(app).get('/increment').set('Cookie', cookie(ID.anonymous)).expect(200, { count: 6 });
  await request(app).get('/profile').set('Cookie', cookie(ID.alice)).expect(200);
  const { body } = await request(app).get('/sessions').set('Cookie', cookie(ID.alice)).expect(200);
  expect(body.sessions).toEqual([
    expect.objectContaining({
      current: true,
      device: 'Firefox 140 on Linux',
      ip: '127.0.0.1',
      persistent: true,
    }),
  ]);
  await request(app).get('/increment').set('Cookie', cookie(ID.alice)).expect(200, { count: 3 });
  await request(app).get('/profile').set('Cookie', cookie(ID.revoked)).expect(401); // revoked stays out
  await request(app).get('/profile').set('Cookie', cookie(ID.expired)).expect(401);
}

describe('the upgrade from the per-user session index, on SQLite', () => {
  it('logs nobody out, lists the logged-in session at once, and drops the old index', async () => {
    const path = join(tempDir('upgrade-'), 'app.db');
    oldFile(path, true);
    const app = await start({ SESSION_STORE: 'sqlite', SQLITE_PATH: path });
    await expectNobodyLoggedOut(app);
    const db = new Database(path, { readonly: true });
    onTestFinished(() => void db.close());
    const names = (sql: string) =>
      db
        .prepare<[], { name: string }>(sql)
        .all()
        .map((r) => r.name);
    expect(names("SELECT name FROM pragma_table_info('sessions')")).not.toContain('user_id');
    expect(names("SELECT name FROM pragma_table_info('users')")).not.toContain('generation');
    expect(names("SELECT name FROM sqlite_master WHERE type = 'table'")).not.toEqual(
      expect.arrayContaining(['session_locks']),
    );
    expect(names("SELECT name FROM sqlite_master WHERE type = 'table'")).not.toContain('legacy_generations');
  });
});

const withRedis = redisAvailable('the upgrade on Redis');
const redis = useRedis({ when: withRedis });
const postgres = usePostgres('the upgrade with two instances');

/** Redis as the previous version left it: sessions under their hashes, a sorted set per user, the cap's set. */
async function oldRedis(url: string) {
  const client = await connectedClient(url);
  onTestFinished(() => client.close());
  await client.flushAll();
  for (const [id, json] of OLD_SESSIONS) {
    const key = storeKey(id);
    await client.set(`sess:${key}`, json, { expiration: { type: 'PX', value: 86_400_000 } });
    await client.zAdd('index:sess:active', { score: now + 86_400_000, value: key });
    const userId = (JSON.parse(json) as { userId?: number }).userId;
    if (userId) await client.zAdd(`index:sess:user:${userId}`, { score: now + 86_400_000, value: key });
  }
  return client;
}

describe.skipIf(!withRedis)('the upgrade from the per-user session index, on Redis', () => {
  it('logs nobody out, lists the logged-in session at once, and drops the index keys', async () => {
    const client = await oldRedis(redis.url);
    const path = join(tempDir('upgrade-'), 'app.db');
    oldFile(path, false);
    const app = await start({ SESSION_STORE: 'redis', REDIS_URL: redis.url, SQLITE_PATH: path });
    await expectNobodyLoggedOut(app);
    expect(await client.keys('index:*')).toEqual([]);
  });

  it.skipIf(!postgres.available)(
    'runs once when two instances start together on PostgreSQL',
    async () => {
      await oldRedis(redis.url);
      const url = await createDatabase(postgres.server());
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      onTestFinished(() => admin.end());
      // the previous version's users schema (its one migration), with alice's generation at 1
      await admin.query(`CREATE TABLE schema_version (name text PRIMARY KEY, version integer NOT NULL);
      INSERT INTO schema_version VALUES ('users', 1);
      CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, username text NOT NULL,
        password_hash text NOT NULL, created_at bigint NOT NULL, generation integer NOT NULL DEFAULT 0);
      CREATE UNIQUE INDEX users_username_key ON users (username);
      INSERT INTO users (id, username, password_hash, created_at, generation) OVERRIDING SYSTEM VALUE
        VALUES (1, 'alice', 'x', 0, 1), (2, 'bob', 'x', 0, 0);`);
      const env = { SESSION_STORE: 'redis', REDIS_URL: redis.url, DATABASE_URL: url };
      const [one, two] = await Promise.all([start(env), start(env)]);
      await expectNobodyLoggedOut(one);
      const { body } = await request(two).get('/sessions').set('Cookie', cookie(ID.alice)).expect(200);
      expect(body.sessions).toHaveLength(1); // one login row, not one per instance
      const rows = await admin.query('SELECT count(*)::int AS n FROM logins');
      expect(rows.rows[0].n).toBe(1);
    },
    30_000,
  );
});
