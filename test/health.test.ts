import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type AppDeps, createApp } from '../src/app';
import { StoreUnavailableError } from '../src/errors';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { silentLogger, testConfig } from './helper';
import { newSession } from './support/cookies';
import { immutableOrSkip, tempDir } from './support/files';

/** An app around its own memory store unless given one; the readiness deps as the test passes them. */
function buildApp(deps: Partial<AppDeps> = {}) {
  const app = createApp({
    config: testConfig(),
    store: new MemorySessionStore({ maxSessions: 100 }),
    logger: silentLogger,
    ...deps,
  });
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

/** A SQLite session store on a file that already holds one session, reopened after `lock` made it unwritable. */
async function storeOnUnwritableFile(lock: (path: string) => Database.Database | undefined) {
  const path = join(tempDir('readonly-'), 'app.db');
  const first = new SqliteSessionStore({ path, maxSessions: 100 });
  const { app } = buildApp({ store: first });
  const cookie = await newSession(app);
  await first.close(); // checkpoints and removes the -wal and -shm files
  const db = lock(path);
  const store = new SqliteSessionStore({ path, db, maxSessions: 100 });
  onTestFinished(() => {
    store.close();
    db?.close();
  });
  return { store, cookie };
}

describe.each([
  ['an immutable file (chattr +i, which stops root too)', 'chattr'],
  ['a read-only connection', 'readonly'],
] as const)('the SQLite store on %s', (_name, how) => {
  it('answers 503 "Session store unavailable" to /increment and 503 to /readyz', async (ctx) => {
    const { store, cookie } = await storeOnUnwritableFile((path) => {
      if (how === 'readonly') return new Database(path, { readonly: true });
      immutableOrSkip(ctx, path);
      return undefined;
    });
    const { app } = buildApp({ store });

    const fresh = await request(app).get('/increment');
    const known = await request(app).get('/increment').set('Cookie', cookie);
    const ready = await request(app).get('/readyz');

    expect(fresh.status).toBe(503);
    expect(fresh.body).toEqual({ error: 'Session store unavailable' });
    expect(known.status).toBe(503);
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ sessions: 'down' });
  });
});
