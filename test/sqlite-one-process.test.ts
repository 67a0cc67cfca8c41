import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { spawnApp, startApp } from '../scripts/lib/app-instance';
import { createApp } from '../src/app';
import { createBackends } from '../src/backends';
import { SqliteSessionStore } from '../src/stores/sqlite';
import { buildApp, cookieFrom, silentLogger, testConfig } from './helper';
import { tempDir } from './support/files';
import { serverEnv } from './support/process';
import { tempDatabase } from './support/stores';

const env = (path: string, extra: Record<string, string> = {}) => serverEnv({ SQLITE_PATH: path, ...extra });

async function count(url: string, cookie?: string): Promise<{ count: number; cookie: string }> {
  const res = await fetch(`${url}/increment`, {
    headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) },
  });
  const set = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('sid='))
    ?.split(';')[0];
  return { count: ((await res.json()) as { count: number }).count, cookie: set ?? cookie ?? '' };
}

describe('two servers on one SQLite file', () => {
  it('turns the second away with one line, keeps the first counting, and lets a later one in', async () => {
    const path = join(tempDir('claim-'), 'app.db');
    const first = await startApp({ env: env(path) });
    onTestFinished(() => first.stop());
    let visit = await count(first.url);
    visit = await count(first.url, visit.cookie);

    const second = spawnApp({ env: env(path, { SQLITE_CLAIM_WAIT_MS: '300' }) });
    let stdout = '';
    let stderr = '';
    second.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    second.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => second.once('exit', resolve));
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    const fatal = lines.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.msg).toContain(path);
    expect(fatal[0]?.msg).toMatch(/another server process.*SESSION_STORE=redis.*DATABASE_URL/);
    expect(stdout + stderr).not.toMatch(/\n\s+at /); // no stack

    expect((await count(first.url, visit.cookie)).count).toBe(3); // the first serves on, exactly

    first.child.kill('SIGKILL'); // however it ends, the operating system lets go of the claim
    await first.exited;
    const third = await startApp({ env: env(path, { SQLITE_CLAIM_WAIT_MS: '300' }) });
    onTestFinished(() => third.stop());
    expect((await count(third.url, visit.cookie)).count).toBe(4); // the session survived
  }, 30_000);
});

describe('a database another connection holds busy', () => {
  it('answers at once: /healthz always, /increment 200 or 503, and loses no acknowledged count', async () => {
    const { db, path } = tempDatabase();
    const backend = new SqliteSessionStore({ db, maxSessions: 100 });
    const { app, store } = buildApp({ backend });
    const first = await request(app).get('/increment').expect(200);
    const cookie = cookieFrom(first);
    let acknowledged = 1;
    const statuses: number[] = [];

    const other = new Database(path); // the sqlite3 shell's part: BEGIN IMMEDIATE, then hold it
    onTestFinished(() => void other.close());
    other.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 10; i++) {
      let started = performance.now();
      await request(app).get('/healthz').expect(200);
      expect(performance.now() - started).toBeLessThan(300);
      started = performance.now();
      const res = await request(app).get('/increment').set('Cookie', cookie);
      expect(performance.now() - started).toBeLessThan(1000);
      statuses.push(res.status);
      if (res.status === 200) acknowledged = res.body.count;
    }
    expect(statuses).toContain(503); // saves are refused while the other connection writes
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    await expect(store.ping()).rejects.toThrow(/unavailable|busy/i); // /readyz: not ready
    other.exec('COMMIT');

    vi.useFakeTimers({ toFake: ['Date'] }); // past the busy gate's 100 ms, without waiting for it
    onTestFinished(() => void vi.useRealTimers());
    vi.setSystemTime(Date.now() + 150);
    const after = await request(app).get('/increment').set('Cookie', cookie).expect(200); // the probe
    expect(after.body).toEqual({ count: acknowledged + 1 });
  });
});

describe('an idle server on SQLite', () => {
  it('writes nothing to the file, its -wal or -shm for 10 s', async () => {
    const dir = tempDir('idle-');
    const config = testConfig({ SESSION_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') });
    const backends = await createBackends(config, silentLogger);
    onTestFinished(() => backends.close());
    const app = createApp({ ...backends, config, logger: silentLogger });
    await request(app).get('/increment').expect(200);
    await request(app).post('/signup').send({ username: 'alice', password: 'correct horse battery staple' });
    const stamp = () =>
      ['app.db', 'app.db-wal', 'app.db-shm'].map((f) => {
        const s = statSync(join(dir, f), { throwIfNoEntry: false });
        return `${f}:${s?.size}:${s?.mtimeMs}`;
      });
    const before = stamp();
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // the idle window, in real time
    expect(stamp()).toEqual(before);
  }, 20_000);
});
