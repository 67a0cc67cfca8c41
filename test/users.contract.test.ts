import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/sqlite-file';
import { SqliteUserStore } from '../src/users/sqlite';
import type { NewUser, UserStore } from '../src/users/types';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';

/** Two stores on one fresh database, as two instances would have, and how to close them. */
interface Opened {
  stores: [UserStore, UserStore];
  close(): Promise<void>;
}

const { available: hasPostgres, server: postgres } = usePostgres('user store contract (PostgreSQL)');

async function openSqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'users-'));
  const dbs = [openDatabase(join(dir, 'app.db')), openDatabase(join(dir, 'app.db'))] as const;
  return {
    stores: [new SqliteUserStore(dbs[0]), new SqliteUserStore(dbs[1])],
    close: async () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<Opened> {
  const url = await createDatabase(postgres());
  // both migrate at once on an empty database: the advisory lock keeps them from racing
  const stores = await Promise.all([readyPostgresStore(url), readyPostgresStore(url)]);
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
}

const backends = [
  { name: 'SQLite', open: openSqlite, skip: false },
  { name: 'PostgreSQL', open: openPostgres, skip: !hasPostgres },
];

const alice: NewUser = { username: 'alice', passwordHash: 'scrypt$hash-a', createdAt: 1_700_000_000_000 };

describe.each(backends)('UserStore on $name', ({ open, skip }) => {
  let opened: Opened;
  let users: UserStore;
  afterEach(() => opened?.close());
  const setup = async () => {
    opened = await open();
    users = opened.stores[0];
  };

  it.skipIf(skip)('creates a user with generation 0 and finds it by name and by id', async () => {
    await setup();
    const created = await users.create(alice);
    expect(created).toEqual({ id: expect.any(Number), ...alice, generation: 0 });
    expect(await users.findByUsername('alice')).toEqual(created);
    expect(await users.findById(created?.id ?? -1)).toEqual(created);
  });

  it.skipIf(skip)('finds nothing for an unknown name or id', async () => {
    await setup();
    expect(await users.findByUsername('nobody')).toBeUndefined();
    expect(await users.findById(12345)).toBeUndefined();
  });

  it.skipIf(skip)('gives one user and undefined to two instances racing for one name', async () => {
    await setup();
    const [a, b] = opened.stores;
    const results = await Promise.all([
      a.create(alice),
      b.create({ ...alice, passwordHash: 'scrypt$hash-b' }),
    ]);
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(await b.findByUsername('alice')).toEqual(winners[0]);
  });

  it.skipIf(skip)('gives exactly one user to many concurrent signups of one name', async () => {
    await setup();
    const results = await Promise.all(Array.from({ length: 8 }, () => users.create(alice)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });

  it.skipIf(skip)('replaces the password hash, seen by the other instance', async () => {
    await setup();
    const user = await users.create(alice);
    await users.setPasswordHash(user?.id ?? -1, 'scrypt$new');
    expect((await opened.stores[1].findById(user?.id ?? -1))?.passwordHash).toBe('scrypt$new');
  });

  it.skipIf(skip)('bumps the generation by one each time and returns it', async () => {
    await setup();
    const user = await users.create(alice);
    const id = user?.id ?? -1;
    expect([await users.bumpGeneration(id), await users.bumpGeneration(id)]).toEqual([1, 2]);
    expect((await users.findById(id))?.generation).toBe(2);
  });

  it.skipIf(skip)('deletes a user once', async () => {
    await setup();
    const user = await users.create(alice);
    const id = user?.id ?? -1;
    expect(await users.delete(id)).toBe(true);
    expect(await users.delete(id)).toBe(false);
    expect(await users.findById(id)).toBeUndefined();
    expect(await users.findByUsername('alice')).toBeUndefined();
  });

  it.skipIf(skip)('never hands a deleted user’s id to a later signup, even of the same name', async () => {
    await setup();
    await users.create(alice);
    const bob = await users.create({ ...alice, username: 'bob' });
    await users.delete(bob?.id ?? -1);
    const again = await users.create({ ...alice, username: 'bob' });
    expect(again?.id).toBeGreaterThan(bob?.id ?? Number.POSITIVE_INFINITY);
  });
});
