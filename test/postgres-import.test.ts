import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/sqlite-file';
import { SqliteUserStore } from '../src/users/sqlite';
import {
  createDatabase,
  type PostgresServer,
  postgresAvailable,
  readyPostgresStore,
  startTestPostgres,
} from './support/postgres';

const run = promisify(execFile);
let server: PostgresServer | undefined;
let dir = '';
const hasPostgres = postgresAvailable('users:import');
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'import-'));
  if (hasPostgres) server = await startTestPostgres();
}, 30_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A SQLite file with alice (1) and bob (2, generation 1); carol (3) signed up and was deleted. */
async function sqliteWithUsers(path: string) {
  const db = openDatabase(path);
  const users = new SqliteUserStore(db);
  const alice = await users.create({ username: 'alice', passwordHash: 'scrypt$a', createdAt: 1000 });
  const bob = await users.create({ username: 'bob', passwordHash: 'scrypt$b', createdAt: 2000 });
  const carol = await users.create({ username: 'carol', passwordHash: 'scrypt$c', createdAt: 3000 });
  await users.bumpGeneration(bob?.id ?? -1);
  await users.delete(carol?.id ?? -1);
  db.close();
  return { alice, carol };
}

function usersImport(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/users-import.ts'], {
    env: { PATH: process.env.PATH, ...env },
  });
}

describe.skipIf(!hasPostgres)('npm run users:import', () => {
  it('copies ids, hashes and generations, and the next signup gets an id no one ever had', async () => {
    const path = join(dir, 'copy.db');
    const { alice, carol } = await sqliteWithUsers(path);
    const url = await createDatabase(server as PostgresServer);

    const { stdout } = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const users = await readyPostgresStore(url);
    const dave = await users.create({ username: 'dave', passwordHash: 'scrypt$d', createdAt: 4000 });
    const copied = [await users.findById(alice?.id ?? -1), await users.findByUsername('bob')];
    await users.close();

    expect(stdout).toContain('2 users in');
    expect(copied[0]).toEqual(alice);
    expect(copied[1]).toMatchObject({ id: 2, passwordHash: 'scrypt$b', createdAt: 2000, generation: 1 });
    expect(dave?.id).toBe((carol?.id ?? 0) + 1); // past sqlite_sequence, not just past the highest id
  });

  it('changes nothing the second time, even a user changed in PostgreSQL since', async () => {
    const path = join(dir, 'twice.db');
    await sqliteWithUsers(path);
    const url = await createDatabase(server as PostgresServer);

    const first = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const users = await readyPostgresStore(url);
    await users.setPasswordHash(1, 'scrypt$changed-in-postgres');
    const second = await usersImport({ SQLITE_PATH: path, DATABASE_URL: url });
    const alice = await users.findById(1);
    const next = await users.create({ username: 'erin', passwordHash: 'scrypt$e', createdAt: 5000 });
    await users.close();

    expect(first.stdout).toContain('2 copied');
    expect(second.stdout).toContain('0 copied');
    expect(alice?.passwordHash).toBe('scrypt$changed-in-postgres');
    expect(next?.id).toBe(4);
  });

  it('says which key is missing instead of guessing a database', async () => {
    const failed = await usersImport({ SQLITE_PATH: join(dir, 'none.db') }).catch(
      (err: { stderr: string }) => err,
    );
    expect(failed).toMatchObject({ stderr: expect.stringContaining('DATABASE_URL is required') });
  });
});
