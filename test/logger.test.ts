import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../src/app';
import { StoreUnavailableError } from '../src/errors';
import { createLogger, createLogThrottle, type Logger } from '../src/logger';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { cookieFrom, memoryUsers, sessionIdOf, testConfig } from './helper';
import { newSession } from './support/cookies';
import { deferred } from './support/deferred';
import { listen } from './support/http';

type Line = Record<string, unknown> & { msg: string; level: number; reqId: number };

/** A logger that keeps every line it writes, parsed; the app's own (with its redaction) when asked. */
function capturingLogger(make: (sink: Writable) => Logger = (sink) => pino({ level: 'debug' }, sink)) {
  const lines: Line[] = [];
  const waiting: Array<{ msg: string; resolve: (line: Line) => void }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        for (const w of waiting.filter((w) => w.msg === line.msg)) w.resolve(line);
      }
      done();
    },
  });
  /** the first line with this message, once it is written */
  const lineSaying = (msg: string) =>
    new Promise<Line>((resolve) => {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) resolve(seen);
      else waiting.push({ msg, resolve });
    });
  return { logger: make(sink), lines, lineSaying };
}

/** An app on a memory backend that logs to `logger`; the backend, to fail or slow down on cue. */
function appLoggingTo(logger: Logger, clock?: () => number) {
  const config = testConfig();
  const backend = new MemorySessionStore({ maxSessions: 10 });
  const store = new HashedKeyStore(backend, config.store.timeoutMs);
  const app = createApp({ config, store, users: memoryUsers(config), logger, ...(clock ? { clock } : {}) });
  return { app, backend };
}

describe('request log', () => {
  it('writes one line per request: method, path without the query, status and time, no cookie', async () => {
    const { logger, lines } = capturingLogger();
    const { app } = appLoggingTo(logger);
    const first = await request(app).get('/increment');
    const cookie = cookieFrom(first);

    await request(app).get('/increment?secret=x').set('Cookie', cookie).expect(200);

    const requestLines = lines.filter((l) => 'req' in l);
    expect(requestLines.map((l) => l.msg)).toEqual(['request completed', 'request completed']);
    expect(requestLines[1]).toMatchObject({
      level: 30,
      req: { method: 'GET', path: '/increment' },
      res: { status: 200 },
      responseTime: expect.any(Number),
    });
    expect(Object.keys(requestLines[1]?.req as object)).toEqual(['method', 'path']); // no headers, no cookie
    expect(requestLines[0]?.reqId).not.toBe(requestLines[1]?.reqId);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(sessionIdOf(cookie));
    expect(text).not.toContain('secret=x');
  });

  it('logs a 4xx answer as completed, at info level', async () => {
    const { logger, lines } = capturingLogger();
    const { app } = appLoggingTo(logger);

    await request(app).get('/no-such-page').expect(404);

    expect(lines.filter((l) => 'req' in l)).toEqual([
      expect.objectContaining({ level: 30, msg: 'request completed', res: { status: 404 } }),
    ]);
  });

  it('logs a request the client gave up on as aborted, once', async () => {
    const { logger, lines, lineSaying } = capturingLogger();
    const { app, backend } = appLoggingTo(logger);
    const cookie = await newSession(app);
    const reading = deferred();
    const release = deferred();
    const get = backend.get.bind(backend);
    backend.get = (key, cb) => {
      reading.resolve();
      void release.promise.then(() => get(key, cb));
    };
    const server = await listen(app);
    onTestFinished(server.close);
    const client = new AbortController();

    const sent = fetch(`${server.url}/increment`, { headers: { cookie }, signal: client.signal }).catch(
      () => {},
    );
    await reading.promise; // the request is in the app, waiting for its session
    client.abort();
    const aborted = await lineSaying('request aborted');
    release.resolve();
    await sent;

    expect(aborted).toMatchObject({ level: 30, req: { method: 'GET', path: '/increment' } });
    expect(lines.filter((l) => 'req' in l && l.reqId === aborted.reqId)).toHaveLength(1);
  });

  it('logs a 5xx answer at error level, and the failure under the same request id', async () => {
    const { logger, lines } = capturingLogger();
    const { app, backend } = appLoggingTo(logger);
    const cookie = await newSession(app);
    backend.destroy = (_key, cb) => cb?.(new Error('disk on fire'));

    await request(app).get('/clear').set('Cookie', cookie).expect(500);

    const errored = lines.find((l) => l.msg === 'request errored');
    const failure = lines.find((l) => l.msg === 'request failed');
    expect(errored).toMatchObject({ level: 50, req: { path: '/clear' }, res: { status: 500 } });
    expect(failure?.reqId).toBe(errored?.reqId);
  });

  it('logs an unavailable store as a short warning, with no stack', async () => {
    const { logger, lines } = capturingLogger();
    const { app, backend } = appLoggingTo(logger);
    backend.set = (_key, _session, cb) => cb?.(new StoreUnavailableError('redis set timed out'));

    await request(app).get('/increment').expect(503);

    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const warning = lines.find((l) => l.msg === 'service unavailable');
    expect(warning).toMatchObject({ level: 40, reason: 'redis set timed out' });
    expect(JSON.stringify(warning)).not.toContain('stack');
    expect(lines.find((l) => l.msg === 'request refused: unavailable')).toMatchObject({
      res: { status: 503 },
    });
  });

  it('censors cookies, passwords and session IDs an error or a request carries', () => {
    const { logger, lines } = capturingLogger((sink) => createLogger('info', sink));
    const err = Object.assign(new Error('upstream refused'), {
      headers: { cookie: 'sid=secret-1', 'set-cookie': ['sid=secret-2'] },
      password: 'secret-3',
      sessionID: 'secret-4',
    });

    logger.error(
      { err, req: { headers: { cookie: 'sid=secret-5' }, sessionID: 'secret-6' } },
      'request failed',
    );

    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/secret-\d/);
    expect(text).toContain('[redacted]');
    expect(text).toContain('upstream refused');
  });
});

describe('refusal warnings', () => {
  /** An app whose session saves are refused as unavailable, with a clock the test moves. */
  function refusingApp() {
    const { logger, lines } = capturingLogger();
    const clock = { now: 1_000_000 };
    const { app, backend } = appLoggingTo(logger, () => clock.now);
    backend.set = (_key, _session, cb) => cb?.(new StoreUnavailableError('redis set timed out'));
    const warnings = () => lines.filter((l) => l.msg === 'service unavailable');
    return { app, lines, clock, warnings };
  }

  it('logs at most one line a second per kind, with the count of refusals it stands for', async () => {
    const { app, lines, clock, warnings } = refusingApp();

    for (let i = 0; i < 5; i++) await request(app).get('/increment').expect(503);
    clock.now += 999;
    await request(app).get('/increment').expect(503);
    clock.now += 1;
    await request(app).get('/increment').expect(503);

    expect(warnings().map((l) => l.refusals)).toEqual([1, 6]);
    expect(warnings()[0]).toMatchObject({ level: 40, kind: 'Session store unavailable' });
    // the request log still has its line for every request, each a warning
    const refused = lines.filter((l) => l.msg === 'request refused: unavailable');
    expect(refused).toHaveLength(7);
    expect(refused.every((l) => l.level === 40)).toBe(true);
  });

  it('counts each kind on its own', () => {
    let now = 0;
    const throttle = createLogThrottle(() => now);
    const logged: string[] = [];
    const log = (kind: string) => throttle(kind, (count) => logged.push(`${kind} x${count}`));

    log('Server busy, retry');
    log('Session busy, retry');
    log('Server busy, retry');
    now += 1000;
    log('Server busy, retry');
    log('Session busy, retry');

    expect(logged).toEqual([
      'Server busy, retry x1',
      'Session busy, retry x1',
      'Server busy, retry x2',
      'Session busy, retry x1',
    ]);
  });

  it('keeps a count per app, so one app never silences another', async () => {
    const first = refusingApp();
    const second = refusingApp();

    await request(first.app).get('/increment').expect(503);
    await request(second.app).get('/increment').expect(503);

    expect(first.warnings()).toHaveLength(1);
    expect(second.warnings()).toHaveLength(1);
  });
});
