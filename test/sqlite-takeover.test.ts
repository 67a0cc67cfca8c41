import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from './support/process';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  cleanups.push(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

async function send(url: string, cookie?: string, body?: object) {
  const res = await fetch(url, {
    method: body ? 'POST' : 'GET',
    headers: {
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(cookie ? { cookie } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const set = res.headers.getSetCookie().find((c) => c.startsWith('sid='));
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    cookie: set?.split(';')[0],
  };
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
    const dir = mkdtempSync(join(tmpdir(), 'takeover-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'app.db');
    // waiting out a dead holder's lock would take 60 s; this session's requests give up after 20 s
    const env = { SESSION_STORE: 'sqlite', SQLITE_PATH: path, LOCK_TTL_MS: '60000', LOCK_WAIT_MS: '20000' };
    const survivor = await start(env);
    const doomed = await start({ ...env, SCRYPT_COST: '131072' }); // a login holds the lock for a real hash
    const { cookie } = await send(`${survivor.url}/increment`);

    const login = send(`${doomed.url}/login`, cookie, { username: 'nobody', password: 'whatever it is' });
    login.catch(() => {}); // its server dies mid-request
    await lockHeldBy(path, doomed.child.pid as number);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const next = await send(`${survivor.url}/increment`, cookie);

    expect(next.status).toBe(200);
    expect(next.body.count).toBe(2);
  }, 60_000);
});
