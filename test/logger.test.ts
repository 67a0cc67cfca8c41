import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { StoreUnavailableError } from '../src/errors';
import { createLogger, createLogThrottle, type Logger, writeRequestLine } from '../src/logger';
import { MemorySessionStore } from '../src/stores/memory';
import { sessionCookie, sessionIdOf, testConfig } from './helper';
import { newSession } from './support/cookies';

type Line = Record<string, unknown> & { msg: string; level: number; reqId: number };

/** A logger that keeps every line it writes, parsed; the app's own (with its redaction) when asked. */
function capturingLogger(make: (sink: Writable) => Logger = (sink) => pino({ level: 'debug' }, sink)) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      done();
    },
  });
  return { logger: make(sink), lines };
}

describe('request log', () => {
  it('writes the line pino itself would write for the same fields, bindings and level', () => {
    const fields = { reqId: 7, method: 'GET', path: '/a "quoted" path\\', status: 503, responseTime: 2 };
    const ours = capturingLogger((sink) => pino({ level: 'info' }, sink).child({ app: 'x' }));
    const theirs = capturingLogger((sink) => pino({ level: 'info' }, sink).child({ app: 'x' }));

    writeRequestLine(ours.logger, 'warn', fields, 'request refused: unavailable');
    const { method, path, status, ...rest } = fields;
    theirs.logger.warn({ ...rest, req: { method, path }, res: { status } }, 'request refused: unavailable');
    writeRequestLine(ours.logger, 'info', fields, 'request completed');
    theirs.logger.info({ ...rest, req: { method, path }, res: { status } }, 'request completed');

    const withoutTime = ({ time, ...line }: Line) => ({ ...line, time: typeof time });
    expect(ours.lines.map(withoutTime)).toEqual(theirs.lines.map(withoutTime));
    expect(ours.lines).toHaveLength(2);
  });

  it('writes no request line below the logger level', () => {
    const { logger, lines } = capturingLogger((sink) => pino({ level: 'warn' }, sink));

    writeRequestLine(
      logger,
      'info',
      { reqId: 1, method: 'GET', path: '/', status: 200, responseTime: 0 },
      'request completed',
    );

    expect(lines).toEqual([]);
  });

  it('writes one line per request: method, path without the query, status and time, no cookie', async () => {
    const { logger, lines } = capturingLogger();
    const app = createApp({
      config: testConfig(),
      store: new MemorySessionStore({ maxSessions: 10 }),
      logger,
    });
    const first = await request(app).get('/increment');
    const cookie = sessionCookie(first) ?? '';

    await request(app).get('/increment?secret=x').set('Cookie', cookie).expect(200);

    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[1]).toMatchObject({ req: { method: 'GET', path: '/increment' }, res: { status: 200 } });
    expect(completed[1]?.responseTime).toEqual(expect.any(Number));
    expect(completed[0]?.reqId).not.toBe(completed[1]?.reqId);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(sessionIdOf(cookie));
    expect(text).not.toContain('secret=x');
  });

  it('logs a 5xx answer at error level, and the failure under the same request id', async () => {
    const { logger, lines } = capturingLogger();
    const store = new MemorySessionStore({ maxSessions: 10 });
    const app = createApp({ config: testConfig(), store, logger });
    const cookie = await newSession(app);
    store.destroy = (_sid, cb) => cb?.(new Error('disk on fire'));

    await request(app).get('/clear').set('Cookie', cookie).expect(500);

    const errored = lines.find((l) => l.msg === 'request errored');
    const failure = lines.find((l) => l.msg === 'request failed');
    expect(errored).toMatchObject({ level: 50, req: { path: '/clear' }, res: { status: 500 } });
    expect(failure?.reqId).toBe(errored?.reqId);
  });

  it('logs an unavailable store as a short warning, with no stack', async () => {
    const { logger, lines } = capturingLogger();
    const store = new MemorySessionStore({ maxSessions: 10 });
    const app = createApp({ config: testConfig(), store, logger });
    store.set = (_sid, _session, cb) => cb?.(new StoreUnavailableError('redis set timed out'));

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
    const store = new MemorySessionStore({ maxSessions: 10 });
    store.set = (_sid, _session, cb) => cb?.(new StoreUnavailableError('redis set timed out'));
    const clock = { now: 1_000_000 };
    const app = createApp({ config: testConfig(), store, logger, clock: () => clock.now });
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
