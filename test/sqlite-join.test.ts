import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from './support/files';
import { sendJson } from './support/http';
import { type ServerProcess, spawnServer } from './support/process';

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  onTestFinished(() => server.stop());
  return server;
}

/** The lock's process registry, read as a third process would. */
function registry(path: string): { pid: number; shared: number }[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { pid: number; shared: number }>('SELECT pid, shared FROM lock_processes').all();
  } finally {
    db.close();
  }
}

describe('a second server joining a first that was alone on the SQLite file', () => {
  it('loses no increment of a session under load across the hand-over', async () => {
    const path = join(tempDir('join-'), 'app.db');
    const env = { SESSION_STORE: 'sqlite', SQLITE_PATH: path };
    const a = await start(env);
    expect(registry(path)).toEqual([{ pid: a.pid, shared: 0 }]); // alone: solo, no lock rows
    const { cookie } = await sendJson(`${a.url}/increment`);
    let b: ServerProcess | undefined;
    const joined = start(env).then((server) => {
      b = server;
    });
    let ok = 0;
    let toB = 0;
    const refused: number[] = [];

    // 8 clients on one session: all on a while b starts up, then every other request on b
    const client = async (id: number) => {
      for (let n = 0; toB < 150 && n < 2000; n++) {
        const url = b && (n + id) % 2 ? b.url : a.url;
        if (url !== a.url) toB++;
        const answer = await sendJson(`${url}/increment`, cookie);
        if (answer.status === 200) ok++;
        else refused.push(answer.status);
      }
    };
    await Promise.all([joined, ...Array.from({ length: 8 }, (_, id) => client(id))]);
    const last = await sendJson(`${a.url}/increment`, cookie);

    expect(toB).toBeGreaterThanOrEqual(150);
    expect(refused).toEqual([]); // b's requests were served once a had acknowledged it: none waited 5 s
    expect(last.body.count).toBe(ok + 2); // the first request, the 200s, this one
    expect(registry(path).map((row) => row.shared)).toEqual([1, 1]);
  }, 60_000);
});
