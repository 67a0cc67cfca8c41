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

describe.skipIf(!hasPostgres)('migrateUsers', () => {
  it('lets several instances migrate one empty database at once, each migration running once', async () => {
    const url = await createDatabase(server());
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(url)));

    const outcomes = await Promise.allSettled(clients.map((c) => migrateUsers(c)));
    const { rows } = await (clients[0] as pg.Client).query('SELECT name, version FROM schema_version');

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(rows).toEqual([{ name: 'users', version: 1 }]);
  });

  it('refuses a schema newer than the code, leaving it untouched', async () => {
    const client = await connect(await createDatabase(server()));
    await migrateUsers(client);
    await client.query("UPDATE schema_version SET version = 99 WHERE name = 'users'");

    await expect(migrateUsers(client)).rejects.toThrow('newer than this code knows');
    expect((await client.query('SELECT version FROM schema_version')).rows).toEqual([{ version: 99 }]);
  });
});
