import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createClient } from 'redis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../scripts/lib/processes';
import { type Backends, createBackends } from '../src/backends';
import { StartError, UserStoreUnavailableError } from '../src/errors';
import { MemoryLock } from '../src/lock/memory';
import { RedisLock } from '../src/lock/redis';
import type { Logger } from '../src/logger';
import { openDatabase } from '../src/sqlite/database';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { RedisSessionStore } from '../src/stores/redis';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { silentLogger, testConfig } from './helper';
import { immutableOrSkip, tempDir } from './support/files';
import { nextReady, redisAvailable, useRedis } from './support/redis';

/** Backends for these settings, with the SQLite file in a fresh directory; closed after the test. */
async function backendsFor(env: Record<string, string>, logger: Logger = silentLogger): Promise<Backends> {
  const config = testConfig({ SQLITE_PATH: join(tempDir('backends-'), 'app.db'), ...env }); // a file each: SQLite serves one process
  const backends = await createBackends(config, logger);
  onTestFinished(() => backends.close());
  return backends;
}

/** A logger that keeps the message of every line it writes. */
function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) messages.push(JSON.parse(line).msg);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), messages };
}

/** Spends every attempt the limiter allows for one name and address; resolves to whether the next is refused. */
async function throttledAfter(backends: Backends, attempts: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) await backends.limiter.attempt('ann', '192.0.2.1');
  return !(await backends.limiter.attempt('ann', '192.0.2.1')).allowed;
}

const ATTEMPTS = { LOGIN_MAX_ATTEMPTS: '2' };

describe('createBackends with SESSION_STORE=memory', () => {
  it('keeps sessions, the lock and the attempt counters in this process, and users in the SQLite file', async () => {
    const one = await backendsFor({ SESSION_STORE: 'memory', ...ATTEMPTS });
    const two = await backendsFor({ SESSION_STORE: 'memory', ...ATTEMPTS });

    expect(one.store).toBeInstanceOf(HashedKeyStore);
    expect(one.store.backend).toBeInstanceOf(MemorySessionStore);
    expect(one.lock).toBeInstanceOf(MemoryLock);
    expect(await throttledAfter(one, 2)).toBe(true);
    expect(await throttledAfter(two, 0)).toBe(false); // counters are not shared
  });

  it('names both backends in its checks and closes the user database', async () => {
    const backends = await backendsFor({ SESSION_STORE: 'memory' });

    const before = await Promise.allSettled([backends.checks.sessions(), backends.checks.users()]);
    await backends.close();

    expect(Object.keys(backends.checks).sort()).toEqual(['sessions', 'users']);
    expect(before.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    await expect(backends.checks.users()).rejects.toThrow(/not open/);
    await expect(backends.users.findByUsername('ann')).rejects.toBeInstanceOf(UserStoreUnavailableError);
  });
});

describe('createBackends with SESSION_STORE=sqlite', () => {
  it('puts sessions and users in one SQLite file, with the lock and the counters in this process', async () => {
    const backends = await backendsFor({ SESSION_STORE: 'sqlite', ...ATTEMPTS });

    await backends.users.create({ username: 'ann', passwordHash: 'x', createdAt: 0 });
    const { db } = backends.store.backend as SqliteSessionStore;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();

    expect(backends.store.backend).toBeInstanceOf(SqliteSessionStore);
    expect(backends.lock).toBeInstanceOf(MemoryLock); // one process serves the file: the memory lock is the lock
    expect(tables).toEqual(
      expect.arrayContaining([{ name: 'sessions' }, { name: 'users' }, { name: 'logins' }]),
    );
    expect(await throttledAfter(backends, 2)).toBe(true);
  });

  it('names both backends in its checks; close closes the store and the file, and is safe twice', async () => {
    const backends = await backendsFor({ SESSION_STORE: 'sqlite' });
    const { db } = backends.store.backend as SqliteSessionStore;

    await expect(backends.checks.sessions()).resolves.toBeUndefined();
    await expect(backends.checks.users()).resolves.toBeUndefined();
    await Promise.all([backends.close(), backends.close()]);

    expect(db.open).toBe(false);
    await expect(backends.checks.sessions()).rejects.toMatchObject({ status: 503 });
    await expect(backends.checks.users()).rejects.toThrow(/not open/);
  });
});

describe('createBackends and the SQLite claim', () => {
  const onFile = (path: string, env: Record<string, string> = {}) =>
    testConfig({ SESSION_STORE: 'sqlite', SQLITE_PATH: path, SQLITE_CLAIM_WAIT_MS: '0', ...env });

  it('refuses a second server on a file one already serves, in one line that says what to do', async () => {
    const path = join(tempDir('backends-'), 'app.db');
    const first = await createBackends(onFile(path), silentLogger);
    onTestFinished(() => first.close());

    const second = createBackends(onFile(path), silentLogger);

    await expect(second).rejects.toBeInstanceOf(StartError);
    await expect(second).rejects.toThrow(`${path} is in use by another server process`);
    await expect(second).rejects.toThrow(/SESSION_STORE=redis and DATABASE_URL/);
  });

  it('claims the file for users too when only sessions are in memory', async () => {
    const path = join(tempDir('backends-'), 'app.db');
    const first = await createBackends(onFile(path, { SESSION_STORE: 'memory' }), silentLogger);
    onTestFinished(() => first.close());

    await expect(createBackends(onFile(path), silentLogger)).rejects.toBeInstanceOf(StartError);
  });

  it('refuses a file a server of an older version still beats in, and starts once its heartbeat is stale', async () => {
    const path = join(tempDir('backends-'), 'app.db');
    const old = openDatabase(path); // the older version shared the file through a lock table, not a claim
    old.exec(
      'CREATE TABLE lock_processes (token TEXT PRIMARY KEY, pid INTEGER, beat INTEGER, shared INTEGER)',
    );
    old.prepare("INSERT INTO lock_processes VALUES ('old', 1, ?, 1)").run(Date.now());

    const beside = createBackends(onFile(path), silentLogger);
    await expect(beside).rejects.toBeInstanceOf(StartError);
    await expect(beside).rejects.toThrow(`${path} is in use by a server of an older version; stop it first`);
    old.prepare('UPDATE lock_processes SET beat = ?').run(Date.now() - 60_000);
    old.close();
    const after = await createBackends(onFile(path), silentLogger);
    onTestFinished(() => after.close());

    expect(after.store.backend).toBeInstanceOf(SqliteSessionStore);
  });

  it('lets the file go on close, so the next server starts on it', async () => {
    const path = join(tempDir('backends-'), 'app.db');
    const first = await createBackends(onFile(path), silentLogger);
    await first.users.create({ username: 'ann', passwordHash: 'x', createdAt: 0 });

    await first.close();
    const next = await createBackends(onFile(path), silentLogger);
    onTestFinished(() => next.close());

    expect(await next.users.findByUsername('ann')).toMatchObject({ username: 'ann' });
  });
});

describe('createBackends at start', () => {
  it('refuses a database file it cannot write, in one line that names it', async (ctx) => {
    const dir = tempDir('backends-');
    const path = join(dir, 'app.db');
    await (
      await createBackends(testConfig({ SESSION_STORE: 'sqlite', SQLITE_PATH: path }), silentLogger)
    ).close();
    immutableOrSkip(ctx, path);

    const starting = createBackends(testConfig({ SESSION_STORE: 'sqlite', SQLITE_PATH: path }), silentLogger);

    await expect(starting).rejects.toBeInstanceOf(StartError);
    await expect(starting).rejects.toThrow(`database ${path} cannot be written (SQLITE_READONLY)`);
  });

  it('refuses a database file it cannot create', async (ctx) => {
    const dir = tempDir('backends-');
    immutableOrSkip(ctx, dir);
    const path = join(dir, 'app.db');

    const starting = createBackends(testConfig({ SESSION_STORE: 'memory', SQLITE_PATH: path }), silentLogger);

    await expect(starting).rejects.toThrow(`database ${path} cannot be opened (SQLITE_CANTOPEN)`);
  });

  it('puts users in PostgreSQL for DATABASE_URL, starts while it is unreachable, and opens no SQLite file', async () => {
    const dir = tempDir('backends-');
    const config = testConfig({
      DATABASE_URL: `postgres://app:pw@127.0.0.1:${await freePort()}/app`, // nothing listens there
      SQLITE_PATH: join(dir, 'app.db'),
    });

    const backends = await createBackends(config, silentLogger);
    onTestFinished(() => backends.close());

    await expect(backends.checks.users()).rejects.toBeInstanceOf(UserStoreUnavailableError);
    await expect(backends.users.findByUsername('ann')).rejects.toBeInstanceOf(UserStoreUnavailableError);
    expect(readdirSync(dir)).toEqual([]); // neither the file nor its claim
  });
});

const hasRedis = redisAvailable('createBackends with Redis');

describe.skipIf(!hasRedis)('createBackends with SESSION_STORE=redis', () => {
  const redis = useRedis();

  async function redisBackends(env: Record<string, string> = {}, logger?: Logger) {
    const backends = await backendsFor({ SESSION_STORE: 'redis', REDIS_URL: redis.url, ...env }, logger);
    const { redis: client } = backends.store.backend as RedisSessionStore;
    if (!client.isReady) await nextReady(client);
    return { backends, client };
  }

  it('puts the lock and the attempt counters in the same Redis, shared by every instance', async () => {
    const { backends: one } = await redisBackends(ATTEMPTS);
    const { backends: two } = await redisBackends(ATTEMPTS);
    const peek = createClient({ url: redis.url });
    await peek.connect();
    onTestFinished(() => peek.close());

    const exhausted = await throttledAfter(one, 2);

    expect(one.store.backend).toBeInstanceOf(RedisSessionStore);
    expect(one.lock).toBeInstanceOf(RedisLock);
    expect(exhausted).toBe(true);
    expect(await throttledAfter(two, 0)).toBe(true); // the second instance sees the first one's attempts
    expect((await peek.keys('login:*')).length).toBeGreaterThan(0);
  });

  it('names both backends in its checks and closes the Redis client', async () => {
    const { backends, client } = await redisBackends();

    await expect(backends.checks.sessions()).resolves.toBeUndefined();
    await expect(backends.checks.users()).resolves.toBeUndefined();
    await backends.close();

    expect(client.isOpen).toBe(false);
    await expect(backends.checks.sessions()).rejects.toMatchObject({ status: 503 });
    await expect(backends.checks.users()).rejects.toThrow(/not open/);
  });

  it('warns once in production that users in SQLite are per machine', async () => {
    const { logger, messages } = capturingLogger();

    await redisBackends({ NODE_ENV: 'production' }, logger);

    expect(messages.filter((m) => /users are per machine/.test(m))).toHaveLength(1);
  });
});
