import type { ClientBase } from 'pg';

// append-only: never edit a migration that has shipped
const MIGRATIONS = [
  // identity, not serial: nothing inserts an id by accident (the import says OVERRIDING SYSTEM VALUE),
  // and a sequence never hands out a deleted user's id again, so a stale session cannot name a new account
  `CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL,
    password_hash text NOT NULL,
    created_at bigint NOT NULL,
    generation integer NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX users_username_key ON users (username);`,
  // a login is a row the user owns, instead of a per-user index in every session store and a generation
  // number; the generations still above 0 were kept aside for the upgrade of logged-in sessions
  // (bcab473's, see docs/deployment.md#upgrading)
  `CREATE TABLE logins (
    id text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    auth_at bigint NOT NULL,
    device text NOT NULL,
    ip text NOT NULL,
    persistent boolean NOT NULL
  );
  CREATE INDEX logins_user ON logins (user_id, last_seen_at);
  CREATE TABLE legacy_generations AS SELECT id AS user_id, generation FROM users WHERE generation > 0;
  ALTER TABLE users DROP COLUMN generation;`,
];

// any constant shared by every instance; pg_advisory_xact_lock takes a bigint
const MIGRATION_LOCK = 7_362_841_105;

/**
 * Brings the users tables up to date in one transaction, under a transaction-scoped advisory lock, so
 * two instances starting together run each migration once: the second waits, then finds nothing to do.
 */
export async function migrateUsers(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_version (name text PRIMARY KEY, version integer NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>(
      "SELECT version FROM schema_version WHERE name = 'users'",
    );
    const current = rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length)
      throw new Error(
        `users schema is version ${current}, newer than this code knows (${MIGRATIONS.length})`,
      );
    for (const sql of MIGRATIONS.slice(current)) await client.query(sql);
    await client.query(
      `INSERT INTO schema_version (name, version) VALUES ('users', $1)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version`,
      [MIGRATIONS.length],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {}); // the connection may be the thing that failed
    throw err;
  }
}
