import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from './support/accounts';
import { load } from './support/load';
import {
  createDatabase,
  type PostgresServer,
  postgresAvailable,
  startTestPostgres,
} from './support/postgres';
import { type ServerProcess, spawnServer } from './support/process';
import { type RedisServer, redisAvailable, startRedis } from './support/redis';

const hasServices =
  redisAvailable('two instances on PostgreSQL') && postgresAvailable('two instances on PostgreSQL');

interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookie: string | undefined;
  headers: Headers;
}

/** One JSON request; the cookie it set, or the one it was sent with. */
async function call(url: string, path: string, { cookie, body }: { cookie?: string; body?: object } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const set = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('sid='))
    ?.split(';')[0];
  const text = await res.text();
  const parsed = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text };
  return { status: res.status, body: parsed, cookie: set ?? cookie, headers: res.headers } satisfies Answer;
}

/**
 * Resolves once the instance reports both stores ready: users migrate in the background, and the
 * Redis client connects in the background too (a request before that gets a 503).
 */
async function storesReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const checks = (await call(url, '/readyz')).body.checks as Record<string, string> | undefined;
    if (checks?.users === 'ok' && checks.sessions === 'ok') return;
    await new Promise((resolve) => setTimeout(resolve, 50)); // no event crosses the process boundary
  }
  throw new Error(`${url}: stores not ready`);
}

let redis: RedisServer;
let postgres: PostgresServer;
let a: ServerProcess;
let b: ServerProcess;
let dir = '';
beforeAll(async () => {
  if (!hasServices) return;
  [redis, postgres] = await Promise.all([startRedis(), startTestPostgres()]);
  const env = { SESSION_STORE: 'redis', REDIS_URL: redis.url, DATABASE_URL: await createDatabase(postgres) };
  dir = mkdtempSync(join(tmpdir(), 'instances-'));
  // two machines: nothing shared on disk, both started together (their migrations race)
  const spawned = await Promise.all(
    ['a', 'b'].map((name) =>
      spawnServer({ ...env, SQLITE_PATH: join(dir, name, 'app.db'), LOGIN_MAX_ATTEMPTS: '3' }),
    ),
  );
  [a, b] = spawned as [ServerProcess, ServerProcess];
  await Promise.all([storesReady(a.url), storesReady(b.url)]);
}, 60_000);
afterAll(async () => {
  for (const server of [a, b]) server?.child.kill('SIGTERM');
  await Promise.all([a?.exited, b?.exited]);
  await Promise.all([redis?.close(), postgres?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasServices)('two instances sharing Redis and PostgreSQL', () => {
  it('lets a user who signed up on A log in on B, and B’s cookie opens /profile on A', async () => {
    const signup = await call(a.url, '/signup', { body: { username: 'alice', password: PASSWORD } });
    const login = await call(b.url, '/login', { body: { username: 'alice', password: PASSWORD } });
    const profile = await call(a.url, '/profile', { cookie: login.cookie });

    expect([signup.status, login.status, profile.status]).toEqual([201, 200, 200]);
    expect(profile.body).toMatchObject({ user: { username: 'alice' } });
  });

  it('gives one 201 and one 409 when A and B race to sign up one name', async () => {
    const body = { username: 'racer', password: PASSWORD };
    const statuses = await Promise.all([call(a.url, '/signup', { body }), call(b.url, '/signup', { body })]);
    expect(statuses.map((s) => s.status).sort()).toEqual([201, 409]);
  });

  it('counts one session across both', async () => {
    const first = await call(a.url, '/increment');
    const second = await call(b.url, '/increment', { cookie: first.cookie });
    expect([first.body.count, second.body.count]).toEqual([1, 2]);
  });

  it('lists a session started on B in /sessions on A, and A can end it', async () => {
    const body = { username: 'listed-user', password: PASSWORD };
    const onA = await call(a.url, '/signup', { body });
    const onB = await call(b.url, '/login', { body });

    const listed = await call(a.url, '/sessions', { cookie: onA.cookie });
    const sessions = listed.body.sessions as Array<{ id: string; current: boolean }>;
    const other = sessions.find((s) => !s.current);
    const revoked = await call(a.url, `/sessions/${other?.id}/revoke`, { cookie: onA.cookie, body: {} });
    const afterwards = await call(b.url, '/profile', { cookie: onB.cookie });

    expect(sessions).toHaveLength(2);
    expect([revoked.status, revoked.body]).toEqual([200, { revoked: 1 }]);
    expect(afterwards.status).toBe(401);
  });

  it('ends the login on B when the password changes on A; A moves to a new session and stays in', async () => {
    const body = { username: 'changer', password: PASSWORD };
    const onA = await call(a.url, '/signup', { body });
    const onB = await call(b.url, '/login', { body });

    const changed = await call(a.url, '/password', {
      cookie: onA.cookie,
      body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    });
    const onBAfter = await call(b.url, '/profile', { cookie: onB.cookie });
    const onAAfter = await call(b.url, '/profile', { cookie: changed.cookie });

    expect([changed.status, changed.body]).toEqual([
      200,
      { message: 'Password changed', signedOutElsewhere: 1 },
    ]);
    expect(changed.cookie).not.toBe(onA.cookie);
    expect(onBAfter.status).toBe(401);
    expect(onAAfter.status).toBe(200);
  });

  it('throttles logins counted on both instances together', async () => {
    await call(a.url, '/signup', { body: { username: 'bob', password: PASSWORD } });
    const wrong = { username: 'bob', password: 'not the password at all' };
    const statuses = [];
    for (const url of [a.url, b.url, a.url, b.url])
      statuses.push((await call(url, '/login', { body: wrong })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('answers user routes 503 while PostgreSQL is silent, keeps counting and ready, then serves users again', async () => {
    const running = load(a.url, 4, { stopOnError: false });
    await running.reached(20);
    postgres.pause();
    const signup = await call(a.url, '/signup', { body: { username: 'carol', password: PASSWORD } });
    const ready = await call(b.url, '/readyz');
    const during = running.results.length;
    await running.until((r) => r.slice(during).filter((x) => x.status === 200).length >= 20);
    postgres.resume();
    await running.stop();
    await storesReady(a.url);
    const again = await call(a.url, '/signup', { body: { username: 'carol', password: PASSWORD } });

    expect(signup.status).toBe(503);
    expect(signup.headers.get('retry-after')).toBe('1');
    expect(JSON.stringify(signup.body)).toContain('User store unavailable');
    expect([ready.status, ready.body]).toEqual([
      200,
      { status: 'ready', checks: { sessions: 'ok', users: 'down' } },
    ]);
    expect(new Set(running.results.map((r) => r.status ?? r.error))).toEqual(new Set([200])); // /increment unaffected
    expect(again.status).toBe(201);
  });

  it('answers only fast 503s for users while PostgreSQL is stopped, and serves them once it is back', async () => {
    await postgres.stop();
    const started = performance.now();
    const refused = await Promise.all(
      ['dave', 'erin', 'frank', 'gina'].map((username) =>
        call(b.url, '/signup', { body: { username, password: PASSWORD } }),
      ),
    );
    const slowest = performance.now() - started;
    const count = await call(b.url, '/increment');
    await postgres.start();
    await storesReady(b.url);
    const again = await call(b.url, '/signup', { body: { username: 'dave', password: PASSWORD } });

    expect(refused.map((r) => r.status)).toEqual([503, 503, 503, 503]);
    expect(slowest).toBeLessThan(2500);
    expect(count.status).toBe(200);
    expect(again.status).toBe(201);
  });
});
