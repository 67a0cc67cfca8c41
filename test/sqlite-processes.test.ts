import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson } from './support/http';
import { type ServerProcess, spawnServer } from './support/process';

/** Two real servers on one SQLite file, as a process manager's cluster mode or an overlapping restart runs them. */
let servers: ServerProcess[] = [];
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'two-processes-'));
  const env = { SESSION_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') };
  // one after the other: the second opens a file the first has already migrated
  servers = [await spawnServer(env), await spawnServer(env)];
}, 60_000);
afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookie?: string;
}

/** One JSON request; the answer's session cookie, or the one sent when none was set. */
async function send(url: string, cookie?: string, body?: object): Promise<Answer> {
  const answer = await sendJson(url, cookie, body);
  return { ...answer, cookie: answer.cookie ?? cookie };
}

const a = () => servers[0]?.url ?? '';
const b = () => servers[1]?.url ?? '';

describe('two server processes on one SQLite file', () => {
  it('counts 100 concurrent increments of one session split between them exactly once each', async () => {
    const first = await send(`${a()}/increment`);
    const urls = Array.from({ length: 100 }, (_, i) => (i % 2 ? a() : b()));

    const answers = await Promise.all(urls.map((url) => send(`${url}/increment`, first.cookie)));

    expect(answers.map((r) => r.status)).toEqual(urls.map(() => 200));
    const counts = answers.map((r) => Number(r.body.count)).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 100 }, (_, i) => i + 2)); // 1 was the first request
  }, 60_000);

  it('keeps a logout that answered 200 logged out, in 200 races with requests on the other process', async () => {
    const user = { username: 'racer', password: 'a long enough password' };
    expect((await send(`${a()}/signup`, undefined, user)).status).toBe(201);
    let stillLoggedIn = 0;
    for (let race = 0; race < 200; race++) {
      const [here, there] = race % 2 ? [a(), b()] : [b(), a()];
      const { cookie } = await send(`${here}/login`, undefined, user);

      const [logout] = await Promise.all([
        send(`${here}/logout`, cookie, {}),
        ...[1, 2, 3].map(() => send(`${there}/increment`, cookie)), // each loads the session and saves it back
      ]);

      expect(logout.status).toBe(200);
      const after = await Promise.all([a(), b()].map((url) => send(`${url}/profile`, cookie)));
      if (after.some((r) => r.status === 200)) stillLoggedIn++;
    }
    expect(stillLoggedIn).toBe(0);
  }, 120_000);
});
