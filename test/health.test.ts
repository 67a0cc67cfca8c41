import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type AppDeps, createApp } from '../src/app';
import { StoreUnavailableError } from '../src/errors';
import { type Database, openDatabase } from '../src/sqlite/database';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import type { SessionBackend } from '../src/stores/types';
import { memoryUsers, silentLogger, testConfig } from './helper';
import { newSession } from './support/cookies';
import { immutableOrSkip, tempDir } from './support/files';

/** An app around its own memory store unless given a backend; the readiness deps as the test passes them. */
function buildApp({ backend, ...deps }: Partial<AppDeps> & { backend?: SessionBackend } = {}) {
  const config = deps.config ?? testConfig();
  const store = new HashedKeyStore(
    backend ?? new MemorySessionStore({ maxSessions: 100 }),
    config.store.timeoutMs,
  );
  const app = createApp({ config, store, users: memoryUsers(config), logger: silentLogger, ...deps });
  return { app };
}

const up = async () => {};
const down = async () => {
  throw new StoreUnavailableError('down for the test');
};

describe('GET /readyz', () => {
  it('reports the session store by name for an app given only a store', async () => {
    const { app } = buildApp();

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { sessions: 'ok' } });
  });

  it('stays ready (200) while the user store is down, and says so', async () => {
    const { app } = buildApp({ checks: { sessions: up, users: down } });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { sessions: 'ok', users: 'down' } });
  });

  it('answers 503 while the session store is down', async () => {
    const { app } = buildApp({ checks: { sessions: down, users: up } });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'session store unavailable',
      checks: { sessions: 'down', users: 'ok' },
    });
  });

  it('reports a check that never answers as down once STORE_TIMEOUT_MS has passed', async () => {
    const never = () => new Promise<void>(() => {});
    const { app } = buildApp({
      config: testConfig({ STORE_TIMEOUT_MS: '50' }),
      checks: { sessions: up, users: never },
    });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ sessions: 'ok', users: 'down' });
  });

  it('answers 503 once the server has begun to shut down, while the rest still serves', async () => {
    const stopping = new AbortController();
    const { app } = buildApp({ stopping: stopping.signal });

    stopping.abort();
    const ready = await request(app).get('/readyz');
    const visit = await request(app).get('/increment');

    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'shutting down', checks: { sessions: 'ok' } });
    expect(visit.status).toBe(200);
  });
});

/** A SQLite session store on a file that holds one session, made unwritable by `lock` while it is open. */
async function storeMadeUnwritable(lock: (db: Database, path: string) => void) {
  const path = join(tempDir('readonly-'), 'app.db');
  const db = openDatabase(path);
  const backend = new SqliteSessionStore({ db, maxSessions: 100 });
  onTestFinished(async () => {
    await backend.close();
    db.close();
  });
  const cookie = await newSession(buildApp({ backend }).app);
  lock(db, path);
  return { backend, cookie };
}

describe.each([
  ['an immutable file (chattr +i, which stops root too)', 'chattr'],
  ['a connection that can no longer write (query_only)', 'readonly'],
] as const)('the SQLite store on %s', (_name, how) => {
  it('answers 503 "Session store unavailable" to a new and to a known visitor', async (ctx) => {
    const { backend, cookie } = await storeMadeUnwritable((db, path) => {
      if (how === 'readonly') db.pragma('query_only = ON');
      else immutableOrSkip(ctx, path, `${path}-wal`); // not the -shm: SQLite maps it, and a write to it would be SIGBUS
    });
    const { app } = buildApp({ backend });

    const fresh = await request(app).get('/increment');
    const known = await request(app).get('/increment').set('Cookie', cookie);

    expect(fresh.status).toBe(503);
    expect(fresh.body).toEqual({ error: 'Session store unavailable' });
    expect(known.status).toBe(503);
  });
});

describe('GET /readyz on a SQLite connection that can no longer write', () => {
  it('answers 503 with the session store down', async () => {
    const { backend } = await storeMadeUnwritable((db) => db.pragma('query_only = ON'));
    const { app } = buildApp({ backend });

    const ready = await request(app).get('/readyz');

    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ sessions: 'down' });
  });
});
