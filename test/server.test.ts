import { once } from 'node:events';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { spawnApp } from '../scripts/lib/app-instance';
import { createHttpServer, displayUrl } from '../src/http/server';
import { wantsPrettyLogs } from '../src/logger';
import { storeKey } from '../src/stores/key';
import { buildApp, sessionIdOf, TEST_SECRET, testConfig } from './helper';
import { immutableOrSkip, tempDir } from './support/files';
import { listen } from './support/http';
import { load } from './support/load';
import { Agent, get, spawnServer } from './support/process';
import { redisAvailable, startRedis } from './support/redis';

const hasRedis = redisAvailable('redis shutdown test');

/** The app in the real HTTP server factory, on a free loopback port. */
async function realServer(env: Record<string, string> = {}) {
  const { app, config } = buildApp({ config: testConfig(env) });
  const { url, close } = await listen(app, config.limits);
  onTestFinished(close);
  return { url, config };
}

function agent(): Agent {
  const a = new Agent({ keepAlive: true, maxSockets: 1 });
  onTestFinished(() => a.destroy());
  return a;
}

describe('the HTTP server', () => {
  it('answers 431 to a Cookie header over MAX_HEADER_SIZE and serves the next request', async () => {
    const { url, config } = await realServer();
    const huge = `sid=${'a'.repeat(config.limits.maxHeaderSize + 1)}`;

    const refused = await get(agent(), `${url}/increment`, huge);
    const next = await get(agent(), `${url}/increment`);

    expect(refused.status).toBe(431);
    expect(next.status).toBe(200);
    expect(next.count).toBe(1);
  });

  it('cannot be configured with a request timeout shorter than the headers timeout', () => {
    expect(() => testConfig({ HEADERS_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '30000' })).toThrow(
      /REQUEST_TIMEOUT_MS must be a whole number from 60000/,
    );
    expect(testConfig({ HEADERS_TIMEOUT_MS: '60000' }).limits.requestTimeoutMs).toBe(60_000);
  });

  it('accepts a 4 KB cookie (a fresh count, not an error)', async () => {
    const { url } = await realServer();

    const res = await get(agent(), `${url}/increment`, `sid=${'x'.repeat(4096)}`);

    expect(res.status).toBe(200);
  });

  it('answers 408 and closes a connection whose headers trickle in past HEADERS_TIMEOUT_MS', async () => {
    const { url } = await realServer({ HEADERS_TIMEOUT_MS: '1000' });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    const started = Date.now();

    socket.write('GET /increment HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    await once(socket, 'close');

    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5000); // Node checks every 30 s by default; we check every 1 s
  });
});

describe('drain', () => {
  it('lets a request in flight finish with Connection: close, refuses new ones, closes idle sockets', async () => {
    let started: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { server, drain } = createHttpServer((req, res) => {
      if (req.url === '/slow') {
        started();
        gate.then(() => res.end('done'));
      } else res.end('quick');
    }, testConfig().limits);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const idle = agent();
    expect((await get(idle, `${url}/quick`)).status).toBe(200); // leaves an idle keep-alive socket
    const slow = new Promise<{ status?: number; connection?: string }>((resolve) => {
      httpGet(`${url}/slow`, { agent: agent() }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
      });
    });
    await inHandler;

    let drained = false;
    const draining = drain().then(() => {
      drained = true;
    });
    const refused = await get(agent(), `${url}/quick`);
    finish();
    const answer = await slow;
    await draining;

    expect(refused.error).toBe('ECONNREFUSED');
    expect(answer).toEqual({ status: 200, connection: 'close' });
    expect(drained).toBe(true); // the idle keep-alive socket did not hold it open
  });
});

describe('the server process', () => {
  /** Runs 16 sessions against a spawned server, sends SIGTERM, and checks what every store must do. */
  async function sigtermUnderLoad(env: Record<string, string>) {
    const server = await spawnServer(env);
    // a Redis store connects in the background and answers 503 until it has (by design): wait for it
    if (env.SESSION_STORE === 'redis') {
      const connected = () => server.logs.some((l) => l.msg === 'redis connected');
      await vi.waitFor(() => expect(connected()).toBe(true), { timeout: 5000 });
    }
    const running = load(server.url, 16);
    await running.reached(200);

    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    const exitMs = performance.now() - signalAt;
    await running.stop();

    const before = running.results.filter((r) => r.sentAt < signalAt);
    const answered = running.results.filter((r) => r.status !== undefined);
    const completed = server.logs.filter((l) => l.msg === 'request completed');
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000);
    expect(before.length).toBeGreaterThanOrEqual(200); // the load really ran
    expect(before.filter((r) => r.status !== 200)).toEqual([]); // no resets, no errors
    expect(answered.every((r) => r.status === 200)).toBe(true);
    expect(answered.length).toBe(completed.length); // every request the server read was answered
    expect(server.logs.filter((l) => l.msg === 'request aborted')).toEqual([]);
    expect(server.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['backends closed', 'stopped']));
    return running;
  }

  it('on SIGTERM under load answers every request it has read, closes SQLite and exits 0 within 10 s', async () => {
    const dir = tempDir();

    await sigtermUnderLoad({ SESSION_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') });

    const wal = join(dir, 'app.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true); // checkpointed on close
  });

  it.skipIf(!hasRedis)(
    'on SIGTERM under load with Redis, releases every session lock before it quits',
    async () => {
      const redis = await startRedis();
      onTestFinished(() => redis.close());

      const running = await sigtermUnderLoad({
        SESSION_STORE: 'redis',
        REDIS_URL: redis.url,
        SQLITE_PATH: join(tempDir(), 'app.db'), // users: a file of its own
      });

      const client = createClient({ url: redis.url });
      await client.connect();
      onTestFinished(() => void client.close());
      const stored = await Promise.all(
        running.cookies.map(async (cookie) => {
          const json = await client.get(`sess:${storeKey(sessionIdOf(cookie ?? ''))}`); // stored under the hash
          return (JSON.parse(json ?? '{}') as { count?: number }).count;
        }),
      );
      const acknowledged = running.cookies.map(
        (_, w) => running.results.filter((r) => r.worker === w && r.status === 200).length,
      );
      expect(await client.keys('lock:*')).toEqual([]);
      expect(stored).toEqual(acknowledged); // every answered increment is in Redis, and nothing more
    },
  );

  it('keeps every acknowledged increment in SQLite when killed with SIGKILL under load', async () => {
    const dir = tempDir();
    const env = { SESSION_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') };
    const first = await spawnServer(env);
    const running = load(first.url, 16);
    await running.reached(300);

    first.child.kill('SIGKILL');
    await first.exited;
    running.stop();
    await running.done;

    const second = await spawnServer(env);
    onTestFinished(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const acknowledged = running.cookies.map(
      (_, w) => running.results.filter((r) => r.worker === w && r.status === 200).length,
    );
    const now = await Promise.all(
      running.cookies.map((cookie) => get(agent(), `${second.url}/increment`, cookie)),
    );
    const counted = now.map((r) => (r.count ?? 0) - 1);
    expect(acknowledged.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(250);
    // each session had at most one request in flight, which may or may not have been saved
    counted.forEach((n, w) => {
      expect(n).toBeGreaterThanOrEqual(acknowledged[w] ?? 0);
      expect(n).toBeLessThanOrEqual((acknowledged[w] ?? 0) + 1);
    });
  });
});

/** Runs src/server.ts with exactly `env` (plus PATH) until it exits or its output matches `until`. */
async function runRaw(env: Record<string, string>, until?: RegExp) {
  const child = spawnApp({ env: { PATH: process.env.PATH, SCRYPT_COST: '1024', ...env } });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const matched = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (until?.test(stdout)) resolve();
    });
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await Promise.race([matched, exited]);
  if (until && child.exitCode === null) child.kill('SIGTERM');
  const code = await exited;
  return { code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) };
}

const base = { NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, HOST: '127.0.0.1', SESSION_STORE: 'memory' };

describe('the server process at start', () => {
  it('prints the localhost URL the README uses when it listens on loopback', async () => {
    const server = await spawnServer({ SESSION_STORE: 'memory', SQLITE_PATH: join(tempDir(), 'app.db') });
    onTestFinished(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });

    const line = server.logs.find((l) => String(l.msg).startsWith('listening on'));

    expect(line?.msg).toBe(`listening on http://localhost:${server.port} (session store: memory)`);
  });

  it('says in one line that the port is in use, and exits 1', async () => {
    const taken = await listen(buildApp().app);
    onTestFinished(taken.close);

    const run = await runRaw({ ...base, PORT: String(taken.port), SQLITE_PATH: join(tempDir(), 'app.db') });

    expect(run.code).toBe(1);
    expect(run.lines.map((l) => JSON.parse(l).msg)).toEqual([`port ${taken.port} is in use; set PORT`]);
    expect(run.stderr).toBe('');
  });

  it('says in one line that the database cannot be written, and exits 1', async (ctx) => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    writeFileSync(path, ''); // an empty file is a valid, empty database
    immutableOrSkip(ctx, path);

    const run = await runRaw({ ...base, PORT: '0', SESSION_STORE: 'sqlite', SQLITE_PATH: path });

    expect(run.code).toBe(1);
    expect(run.lines.map((l) => JSON.parse(l).msg)).toEqual([
      `database ${path} cannot be written (SQLITE_READONLY): check the file and its directory`,
    ]);
    expect(run.stderr).toBe('');
  });

  it('warns once when cookies are Secure and TRUST_PROXY is not set', async () => {
    const run = await runRaw(
      { ...base, PORT: '0', COOKIE_SECURE: 'true', SQLITE_PATH: join(tempDir(), 'app.db') },
      /listening on/,
    );

    const warnings = run.lines.map((l) => JSON.parse(l)).filter((l) => /TRUST_PROXY/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe(40); // warn
  });

  it('logs readable lines under npm run dev, and JSON in tests', async () => {
    const dev = { ...base, NODE_ENV: '', npm_lifecycle_event: 'dev', PORT: '0' };
    const { NODE_ENV: _, ...unset } = dev;
    const env = { ...unset, SQLITE_PATH: join(tempDir(), 'app.db') };

    const pretty = await runRaw(env, /listening on/);
    const json = await runRaw({ ...env, NODE_ENV: 'test' }, /listening on/);

    expect(pretty.stdout).toMatch(/INFO.*listening on http:\/\/localhost:\d+/);
    expect(() => JSON.parse(pretty.lines[0] ?? '')).toThrow();
    expect(JSON.parse(json.lines[0] ?? '')).toMatchObject({ level: 30 });
  });
});

describe('wantsPrettyLogs', () => {
  it('is on in development at a terminal or under npm run dev, off for production, tests and pipes', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({ npm_lifecycle_event: 'dev' }, false)).toBe(true);
    expect(wantsPrettyLogs({}, false)).toBe(false);
    expect(wantsPrettyLogs({ npm_lifecycle_event: 'start' }, false)).toBe(false);
    expect(wantsPrettyLogs({ NODE_ENV: 'production' }, true)).toBe(false);
    expect(wantsPrettyLogs({ NODE_ENV: 'test', npm_lifecycle_event: 'dev' }, true)).toBe(false);
  });
});

describe('SHUTDOWN_DELAY_MS', () => {
  it('fails readiness at once on SIGTERM, keeps serving new connections through the delay, then exits 0', async () => {
    // a deadline counted from the signal (1000 + 1500 ms) would end the process inside the 3 s delay
    const server = await spawnServer({
      SESSION_STORE: 'memory',
      SHUTDOWN_DELAY_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: '1000',
      SQLITE_PATH: join(tempDir(), 'app.db'),
    });
    const running = load(server.url, 4);
    await running.reached(40);
    const readyBefore = await get(agent(), `${server.url}/readyz`);

    server.child.kill('SIGTERM');
    await vi.waitFor(() => expect(server.logs.some((l) => /^SIGTERM/.test(String(l.msg)))).toBe(true));
    const readyDuring = await get(agent(), `${server.url}/readyz`);
    const visitDuring = await get(agent(), `${server.url}/increment`);
    const { code } = await server.exited;
    await running.stop();

    const answered = running.results.filter((r) => r.status !== undefined);
    const completed = server.logs.filter(
      (l) => l.msg === 'request completed' || l.msg === 'request refused: unavailable',
    );
    expect(readyBefore.status).toBe(200);
    expect(readyDuring.status).toBe(503);
    expect(visitDuring.status).toBe(200);
    expect(visitDuring.count).toBe(1);
    expect(code).toBe(0);
    expect(answered.every((r) => r.status === 200)).toBe(true);
    expect(answered.length + 3).toBe(completed.length); // the three probes above, and every load request read
    expect(server.logs.filter((l) => l.msg === 'request aborted')).toEqual([]);
  });
});

describe('displayUrl', () => {
  it('writes localhost for a loopback host and the address itself otherwise', () => {
    expect(displayUrl('127.0.0.1', 3000)).toBe('http://localhost:3000');
    expect(displayUrl('::1', 3000)).toBe('http://localhost:3000');
    expect(displayUrl('0.0.0.0', 3000)).toBe('http://0.0.0.0:3000');
    expect(displayUrl('fd00::1', 3000)).toBe('http://[fd00::1]:3000');
  });
});
