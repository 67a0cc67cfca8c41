import { randomBytes } from 'node:crypto';
import request, { type Response } from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../src/app';
import { createBackends } from '../src/backends';
import { storeKey } from '../src/stores/key';
import type { RedisSessionStore } from '../src/stores/redis';
import { cookieFrom, sessionCookie, sessionIdOf, silentLogger, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { deferred } from './support/deferred';
import { connectedClient, redisAvailable, startRedis } from './support/redis';

/** Every command Redis runs from now on, as MONITOR prints it, on a connection of its own. */
async function monitorAll(url: string) {
  const client = await connectedClient(url);
  onTestFinished(() => client.destroy());
  const lines: string[] = [];
  const waits: Array<{ text: string; seen: () => void }> = [];
  await client.monitor((line) => {
    lines.push(String(line));
    for (const w of waits) if (String(line).includes(w.text)) w.seen();
  });
  return {
    lines,
    /** resolves once a command containing text has been seen */
    until(text: string): Promise<void> {
      const seen = deferred();
      waits.push({ text, seen: seen.resolve });
      return seen.promise;
    },
  };
}

describe.skipIf(!redisAvailable('redis at-rest tests'))('sessions on Redis, as MONITOR sees them', () => {
  it('never send a session ID to Redis, only its SHA-256, through signup, login, /increment and logout', async () => {
    const server = await startRedis();
    onTestFinished(() => server.close());
    const config = testConfig({ SESSION_STORE: 'redis', REDIS_URL: server.url, SQLITE_PATH: ':memory:' });
    const backends = await createBackends(config, silentLogger);
    onTestFinished(() => backends.close());
    const { store, users, lock, limiter } = backends;
    const app = createApp({ config, store, users, lock, limiter, logger: silentLogger });
    const monitor = await monitorAll(server.url);
    const seen: Response[] = [];
    const remember = (res: Response) => {
      seen.push(res);
      return cookieFrom(res);
    };

    const visitor = remember(await request(app).get('/increment').expect(200));
    const user = remember(
      await request(app)
        .post('/signup')
        .set('Cookie', visitor)
        .send({ username: 'ann', password: PASSWORD })
        .expect(201),
    );
    remember(await request(app).get('/increment').set('Cookie', user).expect(200));
    const other = remember(
      await request(app).post('/login').send({ username: 'ann', password: PASSWORD }).expect(200),
    );
    remember(await request(app).get('/increment').set('Cookie', other).expect(200));
    remember(await request(app).post('/logout').set('Cookie', other).expect(200));
    const sentinel = `done-${randomBytes(8).toString('hex')}`;
    const done = monitor.until(sentinel);
    await (store.backend as RedisSessionStore).redis.sendCommand(['ECHO', sentinel]); // after the app's commands
    await done;

    const ids = [
      ...new Set(seen.map((res) => sessionCookie(res)).filter((c) => c?.startsWith('sid=s%3A'))),
    ].map((cookie) => sessionIdOf(cookie as string));
    const commands = monitor.lines.join('\n');
    expect(ids).toHaveLength(3); // the visitor, the signup and the second login
    for (const id of ids) expect(commands).not.toContain(id);
    for (const id of ids) expect(commands).toContain(storeKey(id)); // the test looked at the right commands
  });
});
