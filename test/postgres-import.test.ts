import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../src/sqlite/database';
import { SqliteUserStore } from '../src/users/sqlite';
import type { Login, User } from '../src/users/types';
import { tempDir } from './support/files';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';

const run = promisify(execFile);
const { available: hasPostgres, server } = usePostgres('users:import');
const T = Date.parse('2026-12-01T08:00:00Z');
const login = (userId: number) => ({
  userId,
  createdAt: T,
  device: 'Firefox 133 on Windows',
  ip: '198.51.100.4',
  persistent: true,
});

/**
 * A SQLite file with alice (1, logged in on two devices), bob (2, never logged in), and carol (3),
 * who signed up and deleted her account.
 */
async function sqliteWithUsers(): Promise<{ path: string; alice: User; logins: Login[]; carol: User }> {
  const path = join(tempDir('import-'), 'app.db');
  const db = openDatabase(path);
  const users = new SqliteUserStore(db);
  const made = [];
  for (const [username, createdAt] of [
    ['alice', 1000],
    ['bob', 2000],
    ['carol', 3000],
  ] as const)
    made.push(await users.create({ username, passwordHash: `scrypt$${username}`, createdAt }));
  const [alice, , carol] = made;
  if (!alice || !carol) throw new Error('no users');
  const logins = [await users.startLogin(login(alice.id), 20), await users.startLogin(login(alice.id), 20)];
  const carols = await users.startLogin(login(carol.id), 20);
  await users.deleteUser(carols.id, carol.id);
  db.close();
  return { path, alice, logins, carol };
}

function usersImport(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/users-import.ts'], {
    env: { PATH: process.env.PATH, ...env },
  });
}

/** The PostgreSQL user store on url, closed when the test ends. */
async function postgresUsers(url: string) {
  const users = await readyPostgresStore(url);
  onTestFinished(() => users.close());
  return users;
}

describe.skipIf(!hasPostgres)('npm run users:import', () => {
  it('copies ids, hashes and logins, and the next signup gets an id no one ever had', async () => {
    const { path, alice, carol } = await sqliteWithUsers();
    const url = await createDatabase(server());

    const { stdout } = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const users = await postgresUsers(url);
    const dave = await users.create({ username: 'dave', passwordHash: 'scrypt$d', createdAt: 4000 });

    expect(stdout).toContain('2 users in');
    expect(await users.findByUsername('alice')).toEqual(alice);
    expect(await users.findByUsername('bob')).toEqual({
      id: 2,
      username: 'bob',
      passwordHash: 'scrypt$bob',
      createdAt: 2000,
    });
    expect(dave?.id).toBe(carol.id + 1); // past sqlite_sequence, not just past the highest id
  });

  it('brings a logged-in user’s logins along: the browser stays signed in on PostgreSQL', async () => {
    const { path, alice, logins } = await sqliteWithUsers();
    const url = await createDatabase(server());

    await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const users = await postgresUsers(url);

    expect(await users.findLogin(logins[0]?.id ?? '', T + 1000)).toEqual({ login: logins[0], user: alice });
    expect((await users.listLogins(alice.id, T + 1000)).map((l) => l.id).sort()).toEqual(
      logins.map((l) => l.id).sort(),
    );
    expect(await users.listLogins(2, T + 1000)).toEqual([]);
  });

  it('changes nothing the second time, even a user or a login changed in PostgreSQL since', async () => {
    const { path, alice, logins } = await sqliteWithUsers();
    const url = await createDatabase(server());

    const first = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const users = await postgresUsers(url);
    await users.setPasswordHash(alice.id, 'scrypt$changed-in-postgres');
    await users.endLogin(logins[1]?.id ?? ''); // signed out on PostgreSQL: it must stay out
    const second = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const next = await users.create({ username: 'erin', passwordHash: 'scrypt$e', createdAt: 5000 });

    expect(first.stdout).toContain('2 copied');
    expect(second.stdout).toContain('0 copied');
    expect((await users.findByUsername('alice'))?.passwordHash).toBe('scrypt$changed-in-postgres');
    expect((await users.listLogins(alice.id, T + 1000)).map((l) => l.id)).toEqual([logins[0]?.id]);
    expect(next?.id).toBe(4);
  });

  it('says which key is missing instead of guessing a database', async () => {
    const failed = await usersImport({ SQLITE_PATH: join(tempDir('import-'), 'none.db') }).catch(
      (err: { stderr: string }) => err,
    );
    expect(failed).toMatchObject({ stderr: expect.stringContaining('DATABASE_URL is required') });
  });
});
