import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config';
import { createPasswordHasher } from '../src/login/password';
import { openDatabase } from '../src/sqlite/database';
import { SqliteUserStore } from '../src/users/sqlite';

export const LOGIN_CLIENTS = 20;
const PASSWORD = 'bench password, long enough for the rules';
const username = (i: number) => `bench-user-${i}`;

/** What the login clients got: logged in and out, refused (503 busy or 429 throttled), or anything else. */
export interface LoginTally {
  ok: number;
  refused: number;
  failed: number;
}

/**
 * Writes the login clients' users into the app's SQLite file before it starts, hashed at the app's
 * default scrypt cost (SCRYPT_COST). One hash serves them all: the setup is not what is measured.
 */
export async function addUsers(sqlitePath: string, env: Record<string, string>): Promise<void> {
  const { scryptCost } = loadConfig(env).login;
  const passwordHash = await createPasswordHasher({ cost: scryptCost, concurrency: 1 }).hash(PASSWORD);
  const db = openDatabase(sqlitePath);
  try {
    const users = new SqliteUserStore(db);
    for (let i = 0; i < LOGIN_CLIENTS; i++)
      await users.create({ username: username(i), passwordHash, createdAt: Date.now() });
  } finally {
    db.close();
  }
}

const post = (port: number, path: string, signal: AbortSignal, cookie?: string, body?: unknown) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    signal,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
    },
    body: JSON.stringify(body ?? {}),
  });

/** One client: log in (one real scrypt verify), log out, again, until stopped. */
async function client(port: number, i: number, signal: AbortSignal, tally: LoginTally): Promise<void> {
  while (!signal.aborted) {
    const login = await post(port, '/login', signal, undefined, {
      username: username(i),
      password: PASSWORD,
    });
    await login.arrayBuffer();
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0];
    if (login.status === 503 || login.status === 429) {
      tally.refused++;
      await sleep(1000, undefined, { signal }); // as a client honouring Retry-After would
      continue;
    }
    if (login.status !== 200 || !cookie) {
      tally.failed++;
      continue;
    }
    const logout = await post(port, '/logout', signal, cookie);
    await logout.arrayBuffer();
    if (logout.status === 200) tally.ok++;
    else tally.failed++;
  }
}

/** Starts the login clients; `stop()` ends them (aborting requests in flight) and returns the tally. */
export function startLogins(port: number): { stop(): Promise<LoginTally> } {
  const tally: LoginTally = { ok: 0, refused: 0, failed: 0 };
  const controller = new AbortController();
  const clients = Array.from({ length: LOGIN_CLIENTS }, (_, i) =>
    client(port, i, controller.signal, tally).catch((err: Error) => {
      if (!controller.signal.aborted) {
        tally.failed++;
        console.error(`  login client ${i}: ${err.message}`);
      }
    }),
  );
  return {
    async stop() {
      controller.abort();
      await Promise.all(clients);
      return { ...tally };
    },
  };
}
