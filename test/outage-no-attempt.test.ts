import type { Express } from 'express';
import request from 'supertest';
import { describe, it, onTestFinished } from 'vitest';
import { SqliteUserStore } from '../src/users/sqlite';
import { buildApp, testConfig } from './helper';
import { PASSWORD } from './support/accounts';
import { createDatabase, readyPostgresStore, usePostgres } from './support/postgres';
import { tempDatabase } from './support/stores';

const config = testConfig({ LOGIN_MAX_ATTEMPTS: '5' }); // the sixth counted attempt would be 429
const login = (app: Express, password = PASSWORD) =>
  request(app).post('/login').send({ username: 'alice', password });

/** Six logins with the right password while the user store is out: each a 503, none counted. */
async function duringAnOutage(app: Express, outage: { begin(): Promise<void>; end(): Promise<void> }) {
  await request(app).post('/signup').send({ username: 'alice', password: PASSWORD }).expect(201);
  await outage.begin();
  for (let i = 0; i < 6; i++) await login(app).expect(503);
  await outage.end();
  await login(app, 'a wrong passphrase').expect(401); // not 429: the refusals counted as no attempt
  await login(app).expect(200);
}

describe('logins refused while the user store is out', () => {
  it('leave nobody locked out: an unwritable SQLite users file', async () => {
    const { db } = tempDatabase('users-');
    const { app } = buildApp({ config, users: new SqliteUserStore(db) });
    // reads still work on an unwritable file: each password is checked, and the login row cannot be written
    await duringAnOutage(app, {
      begin: async () => void db.pragma('query_only = 1'), // every write fails as SQLITE_READONLY
      end: async () => void db.pragma('query_only = 0'),
    });
  });

  const postgres = usePostgres('logins during a PostgreSQL outage');
  it.skipIf(!postgres.available)(
    'count as no attempt: PostgreSQL stopped and started again',
    async () => {
      const users = await readyPostgresStore(await createDatabase(postgres.server()));
      onTestFinished(() => users.close());
      const { app } = buildApp({ config, users });
      await duringAnOutage(app, {
        begin: () => postgres.server().stop(),
        end: () => postgres.server().start(),
      });
    },
    30_000,
  );
});
