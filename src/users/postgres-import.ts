import type { Database } from 'better-sqlite3';
import type { ClientBase } from 'pg';
import { migrateUsers } from './postgres-migrations';
import { type Row, toLogin, toUser } from './sql';

const hasTable = (db: Database, name: string) =>
  db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(name) !== undefined;

/** unnest's arguments: one array per key */
const columns = <T>(rows: T[], keys: (keyof T)[]) => keys.map((key) => rows.map((row) => row[key]));

/**
 * Copies SQLite's users and their logins into PostgreSQL keeping ids and hashes, then moves the id sequence
 * past every id either side has handed out. Idempotent: a row already in PostgreSQL (same id or same
 * name) is left alone, since it may have changed there since (a new password, a revocation).
 * `conflicts`: the ids whose row in PostgreSQL has another username, left as they are there.
 */
export async function importUsers(sqlite: Database, client: ClientBase) {
  const users = sqlite.prepare<[], Row>('SELECT * FROM users ORDER BY id').all().map(toUser);
  const sequence = hasTable(sqlite, 'sqlite_sequence')
    ? sqlite.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'users'").get()?.seq
    : undefined;
  await migrateUsers(client);
  await client.query('BEGIN');
  try {
    await client.query('LOCK TABLE users IN EXCLUSIVE MODE'); // no signup takes an id until setval
    const copied = await client.query<{ id: string }>(
      `INSERT INTO users (id, username, password_hash, created_at) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT DO NOTHING RETURNING id`,
      columns(users, ['id', 'username', 'passwordHash', 'createdAt']),
    );
    const there = await client.query<{ id: string; username: string }>(
      'SELECT id, username FROM users WHERE id = ANY($1::bigint[])',
      [users.map((u) => u.id)],
    );
    const names = new Map(there.rows.map((r) => [Number(r.id), r.username]));
    // with their user only: a login of a user already there may have been ended there since
    await copyLogins(sqlite, client, new Set(copied.rows.map((r) => Number(r.id))));
    const nextId = await moveSequence(client, Math.max(sequence ?? 0, ...users.map((u) => u.id)));
    await client.query('COMMIT');
    return {
      read: users.length,
      copied: copied.rowCount ?? 0,
      conflicts: users.filter((u) => names.get(u.id) !== u.username).map((u) => u.id),
      nextId,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The logins of the users copied now, so nobody is signed out by the move. */
async function copyLogins(sqlite: Database, client: ClientBase, userIds: Set<number>): Promise<void> {
  if (!hasTable(sqlite, 'logins')) return;
  const logins = sqlite.prepare<[], Row>('SELECT * FROM logins').all().map(toLogin);
  const theirs = logins.filter((l) => userIds.has(l.userId));
  await client.query(
    `INSERT INTO logins (id, user_id, created_at, last_seen_at, auth_at, device, ip, persistent)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
       $7::text[], $8::boolean[]) ON CONFLICT DO NOTHING`,
    columns(theirs, ['id', 'userId', 'createdAt', 'lastSeenAt', 'authAt', 'device', 'ip', 'persistent']),
  );
}

/** setval past the highest id handed out anywhere, never backwards; the next id. */
async function moveSequence(client: ClientBase, sqliteHighest: number): Promise<number> {
  const { rows } = await client.query<{ seq: string; highest: string }>(
    `SELECT pg_get_serial_sequence('users', 'id') AS seq, COALESCE(MAX(id), 0) AS highest FROM users`,
  );
  const seq = rows[0]?.seq ?? 'users_id_seq';
  const state = await client.query<{ handed_out: string }>(
    // a regclass name from PostgreSQL, not input
    `SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END AS handed_out FROM ${seq}`,
  );
  const handedOut = Number(state.rows[0]?.handed_out ?? 0);
  const highest = Math.max(sqliteHighest, Number(rows[0]?.highest ?? 0), handedOut);
  if (highest > 0) await client.query('SELECT setval($1::regclass, $2, true)', [seq, highest]);
  return highest + 1;
}
