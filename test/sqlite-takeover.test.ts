import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from './support/files';
import { sendJson } from './support/http';
import { type ServerProcess, spawnServer } from './support/process';

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  onTestFinished(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

/** Resolves once some session lock row belongs to `pid`, reading the file as a third process would. */
async function lockHeldBy(path: string, pid: number): Promise<void> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const held = db.prepare('SELECT 1 FROM session_locks WHERE pid = ?');
    for (let tries = 0; !held.get(pid); tries++) {
      if (tries > 5000) throw new Error(`no lock row of pid ${pid}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    db.close();
  }
}

describe('a server killed while it holds a session lock on a shared SQLite file', () => {
  it('does not block that session on the other server until the lock expires', async () => {
    const dir = tempDir('takeover-');
    const path = join(dir, 'app.db');
    // waiting out a dead holder's lock would take 60 s; this session's requests give up after 20 s
    const env = { SESSION_STORE: 'sqlite', SQLITE_PATH: path, LOCK_TTL_MS: '60000', LOCK_WAIT_MS: '20000' };
    const survivor = await start(env);
    const doomed = await start({ ...env, SCRYPT_COST: '131072' }); // a login holds the lock for a real hash
    const { cookie } = await sendJson(`${survivor.url}/increment`);

    const login = sendJson(`${doomed.url}/login`, cookie, { username: 'nobody', password: 'whatever it is' });
    login.catch(() => {}); // its server dies mid-request
    await lockHeldBy(path, doomed.child.pid as number);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const next = await sendJson(`${survivor.url}/increment`, cookie);

    expect(next.status).toBe(200);
    expect(next.body.count).toBe(2);
  }, 60_000);
});
