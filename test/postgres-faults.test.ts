import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { UserStoreUnavailableError } from '../src/errors';
import { createLogger } from '../src/logger';
import { createPostgresUserStore } from '../src/users/postgres';
import { redactUrl } from '../src/users/postgres-url';
import type { UserStore } from '../src/users/types';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';

const LIFETIMES = { idleMs: 86_400_000, maxAgeMs: 43_200_000 };

interface Call {
  outcome: 'ok' | 'unavailable' | string;
  ms: number;
}

/** Keeps `workers` callers each doing a lookup then a signup, one at a time, until stop(). */
function storeLoad(users: UserStore, workers = 8) {
  let stopped = false;
  let n = 0;
  const calls: Call[] = [];
  const waits: Array<{ test: () => boolean; resolve: () => void }> = [];
  const one = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    const outcome = await work().then(
      () => 'ok',
      (err) => (err instanceof UserStoreUnavailableError ? 'unavailable' : String(err)),
    );
    calls.push({ outcome, ms: performance.now() - start });
    for (const w of waits.filter((w) => w.test())) {
      waits.splice(waits.indexOf(w), 1);
      w.resolve();
    }
  };
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped) {
        await one(() => users.findByUsername('alice'));
        await one(() => users.create({ username: `u${++n}`, passwordHash: 'h', createdAt: 0 }));
      }
    }),
  );
  const until = (count: number, outcome: Call['outcome']) => {
    const from = calls.length;
    const test = () => calls.slice(from).filter((c) => c.outcome === outcome).length >= count;
    return new Promise<void>((resolve) => waits.push({ test, resolve }));
  };
  const stop = () => {
    stopped = true;
    return done;
  };
  return { calls, until, stop };
}

const { available: hasPostgres, server: pg } = usePostgres('PostgreSQL fault tests');
afterEach(async () => {
  if (!hasPostgres) return;
  pg().resume();
  if (!pg().running()) await pg().start();
});

describe.skipIf(!hasPostgres)('PostgreSQL user store under faults', () => {
  /** A user store on a new database with storeLoad calling it; both closed when the test ends. */
  async function loadOnFreshDatabase() {
    const users = await readyPostgresStore(await createDatabase(pg()));
    onTestFinished(() => users.close());
    const running = storeLoad(users);
    onTestFinished(async () => void (await running.stop()));
    return running;
  }

  it('fails fast while PostgreSQL is stopped, then serves again from the same store', async () => {
    const running = await loadOnFreshDatabase();

    await running.until(50, 'ok');
    await pg().stop();
    await running.until(50, 'unavailable');
    await pg().start();
    await running.until(50, 'ok');
    await running.stop();

    expect(new Set(running.calls.map((c) => c.outcome))).toEqual(new Set(['ok', 'unavailable']));
    expect(Math.max(...running.calls.map((c) => c.ms))).toBeLessThan(2500); // no hang
    expect(running.calls.slice(-8).every((c) => c.outcome === 'ok')).toBe(true);
  });

  it('fails within the deadline while PostgreSQL is silent (SIGSTOP), then serves again', async () => {
    const running = await loadOnFreshDatabase();

    await running.until(50, 'ok');
    pg().pause();
    await running.until(16, 'unavailable'); // more than the pool's 4 connections: new ones time out too
    pg().resume();
    await running.until(50, 'ok');
    await running.stop();

    expect(new Set(running.calls.map((c) => c.outcome))).toEqual(new Set(['ok', 'unavailable']));
    expect(Math.max(...running.calls.map((c) => c.ms))).toBeLessThan(2500);
    expect(running.calls.slice(-8).every((c) => c.outcome === 'ok')).toBe(true);
  });

  it('starts while PostgreSQL is down, refuses at once, and migrates and serves once it is up', async () => {
    const url = await createDatabase(pg());
    await pg().stop();
    const users = createPostgresUserStore({
      url,
      poolSize: 2,
      timeoutMs: 1000,
      logger: createLogger('silent'),
      lifetimes: LIFETIMES,
    });
    onTestFinished(() => users.close());

    const refused = await users.findByUsername('alice').catch((err: unknown) => err);
    await pg().start();
    await users.ready;

    expect(refused).toBeInstanceOf(UserStoreUnavailableError);
    expect(refused).toMatchObject({ status: 503, message: 'User store unavailable' });
    expect(await users.create({ username: 'alice', passwordHash: 'h', createdAt: 0 })).toMatchObject({
      username: 'alice',
    });
  });

  it('never logs or throws the password in DATABASE_URL', async () => {
    const url = (await createDatabase(pg())).replace('app@', 'app:s3cret-pw@'); // trust auth ignores it
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _, done) => done(void lines.push(String(chunk))) });
    await pg().stop();
    const users = createPostgresUserStore({
      url,
      poolSize: 2,
      timeoutMs: 500,
      logger: createLogger('info', sink),
      lifetimes: LIFETIMES,
    });
    onTestFinished(() => users.close());
    const refused = await users.findByUsername('alice').catch((err: unknown) => err);
    await pg().start();
    await users.ready;
    await pg().stop();
    const down = await users.ping().catch((err: unknown) => err);

    expect(lines.join('')).toContain(redactUrl(url));
    expect(lines.join('')).not.toContain('s3cret-pw');
    for (const err of [refused, down]) expect(JSON.stringify(err) + String(err)).not.toContain('s3cret-pw');
    expect(down).toBeInstanceOf(UserStoreUnavailableError);
  });
});

describe('redactUrl', () => {
  it('replaces the password in the user info and in the query string', () => {
    expect(redactUrl('postgres://app:hunter2@db:5432/app?sslmode=verify-full&password=x')).toBe(
      'postgres://app:redacted@db:5432/app?sslmode=verify-full&password=redacted',
    );
  });

  it('shows none of a URL it cannot parse', () => {
    expect(redactUrl('not a url :hunter2@')).not.toContain('hunter2');
  });
});
