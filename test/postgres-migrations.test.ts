import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { migrateUsers } from '../src/users/postgres-migrations';
import { createDatabase, usePostgres } from './support/postgres';

const { available: hasPostgres, server } = usePostgres('PostgreSQL migrations');

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}

// the users table as the previous version left it (schema version 1)
const VERSION_1 = `CREATE TABLE schema_version (name text PRIMARY KEY, version integer NOT NULL);
  INSERT INTO schema_version VALUES ('users', 1);
  CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    password_hash text NOT NULL,
    created_at bigint NOT NULL,
    generation integer NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX users_username_key ON users (username);`;

describe.skipIf(!hasPostgres)('migrateUsers', () => {
  it('lets several instances migrate one empty database at once, each migration running once', async () => {
    const url = await createDatabase(server());
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(url)));

    const outcomes = await Promise.allSettled(clients.map((c) => migrateUsers(c)));
    const first = clients[0] as pg.Client;
    const { rows } = await first.query('SELECT name, version FROM schema_version');
    const tables = await first.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(rows).toEqual([{ name: 'users', version: 2 }]);
    expect(tables.rows.map((r) => r.tablename)).toEqual([
      'legacy_generations',
      'logins',
      'schema_version',
      'users',
    ]);
  });

  it('moves a version-1 database on: ids kept, generations above 0 set aside for the upgrade', async () => {
    const client = await connect(await createDatabase(server()));
    await client.query(VERSION_1);
    await client.query(
      "INSERT INTO users (username, password_hash, created_at, generation) VALUES ('alice', 'h', 1, 0), ('bob', 'h', 2, 3)",
    );

    await migrateUsers(client);

    const users = await client.query('SELECT * FROM users ORDER BY id');
    const aside = await client.query('SELECT user_id::int, generation FROM legacy_generations');
    expect(users.rows).toEqual([
      { id: '1', username: 'alice', password_hash: 'h', created_at: '1' },
      { id: '2', username: 'bob', password_hash: 'h', created_at: '2' },
    ]);
    expect(aside.rows).toEqual([{ user_id: 2, generation: 3 }]);
  });

  it('refuses a schema newer than the code, leaving it untouched', async () => {
    const client = await connect(await createDatabase(server()));
    await migrateUsers(client);
    await client.query("UPDATE schema_version SET version = 99 WHERE name = 'users'");

    await expect(migrateUsers(client)).rejects.toThrow('newer than this code knows');
    expect((await client.query('SELECT version FROM schema_version')).rows).toEqual([{ version: 99 }]);
  });
});
