import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpServer } from '../src/listen';
import { storeKey } from '../src/stores/key';
import { buildApp, sessionIdOf, testConfig } from './helper';
import { listen } from './support/http';
import { load } from './support/load';
import { Agent, get, spawnServer } from './support/process';
import { redisAvailable, startRedis } from './support/redis';

const hasRedis = redisAvailable('redis shutdown test');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The app in the real HTTP server factory, on a free loopback port. */
async function realServer(env: Record<string, string> = {}) {
  const { app, config } = buildApp({ config: testConfig(env) });
  const { url, close } = await listen(app, config.limits);
  cleanups.push(close);
  return { url, config };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'server-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function agent(): Agent {
  const a = new Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => a.destroy());
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
      const connected = () => server.logs.some((l) => l.msg === 'redis session store connected');
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
    expect(server.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['session store closed', 'stopped']),
    );
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
      cleanups.push(() => redis.close());

      const running = await sigtermUnderLoad({ SESSION_STORE: 'redis', REDIS_URL: redis.url });

      const client = createClient({ url: redis.url });
      await client.connect();
      cleanups.push(() => void client.close());
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
    cleanups.push(async () => {
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
