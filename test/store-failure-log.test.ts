import { Writable } from 'node:stream';
import type { SessionData } from 'express-session';
import request from 'supertest';
import { expect, it } from 'vitest';
import { createApp } from '../src/app';
import { createLogger } from '../src/logger';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { memoryUsers, signedSessionId, testConfig } from './helper';

/** A backend that reads every session as a count of 1 and fails every save and touch, like a full disk. */
class FullDisk extends MemorySessionStore {
  override get(_key: string, cb: (err?: unknown, value?: SessionData | null) => void) {
    const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) };
    cb(undefined, { cookie, count: 1 } as SessionData);
  }
  override set(_key: string, _session: SessionData, cb?: (err?: unknown) => void) {
    cb?.(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }));
  }
  override touch(_key: string, _session: SessionData, cb?: (err?: unknown) => void) {
    cb?.(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }));
  }
}

it('logs failed saves and touches at most once a second per kind, with how many each line stands for', async () => {
  const lines: Array<{ msg: string; refusals?: number; failures?: number }> = [];
  const logger = createLogger(
    'warn',
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const config = testConfig();
  const { databaseError } = await import('../src/sqlite/database');
  const store = new HashedKeyStore(new FullDisk({ maxSessions: 10 }), 1000, databaseError);
  const app = createApp({ config, store, users: memoryUsers(config), logger, clock: () => 0 }); // one second
  const cookie = `sid=${encodeURIComponent(signedSessionId('x'.repeat(32)))}`;

  for (let i = 0; i < 10; i++) await request(app).get('/increment').set('Cookie', cookie).expect(503); // save fails
  for (let i = 0; i < 10; i++) await request(app).get('/session').set('Cookie', cookie).expect(200); // touch fails after

  const refused = lines.filter((l) => l.msg === 'service unavailable');
  const late = lines.filter((l) => l.msg === 'session store failed after the answer');
  expect(refused).toEqual([expect.objectContaining({ refusals: 1 })]); // the first line; the next 9 wait for it
  expect(late).toEqual([expect.objectContaining({ failures: 1 })]);
});
