import type { Database } from 'better-sqlite3';
import type { ClientBase } from 'pg';
import { migrateUsers } from './postgres-migrations';

export interface ImportReport {
  /** users in the SQLite file */
  read: number;
  /** of those, copied now (the rest were already in PostgreSQL) */
  copied: number;
  /** ids whose row in PostgreSQL has another username: left as they are there */
  conflicts: number[];
  /** the id the next signup will get */
  nextId: number;
}

interface SqliteRow {
  id: number;
  username: string;
  password_hash: string;
  created_at: number | null;
}

/** The SQLite users, read-only. */
function readSqlite(db: Database): { rows: SqliteRow[]; sequence: number } {
  const rows = db
    .prepare<[], SqliteRow>('SELECT id, username, password_hash, created_at FROM users ORDER BY id')
    .all();
  const hasSequence = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
  const seq = hasSequence
    ? db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'users'").get()
    : undefined;
  return { rows, sequence: seq?.seq ?? 0 };
}

/**
 * Copies SQLite's users and their logins into PostgreSQL keeping ids and hashes, then moves the id sequence
 * past every id either side has handed out. Idempotent: a row already in PostgreSQL (same id or same
 * name) is left alone, since it may have changed there since (a new password, a revocation).
 */
export async function importUsers(sqlite: Database, client: ClientBase): Promise<ImportReport> {
  const { rows, sequence } = readSqlite(sqlite);
  await migrateUsers(client);
  await client.query('BEGIN');
  try {
    await client.query('LOCK TABLE users IN EXCLUSIVE MODE'); // no signup takes an id until setval
    const copied = await client.query(
      `INSERT INTO users (id, username, password_hash, created_at) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.username),
        rows.map((r) => r.password_hash),
        rows.map((r) => r.created_at ?? 0),
      ],
    );
    const there = await client.query<{ id: string; username: string }>(
      'SELECT id, username FROM users WHERE id = ANY($1::bigint[])',
      [rows.map((r) => r.id)],
    );
    const names = new Map(there.rows.map((r) => [Number(r.id), r.username]));
    const conflicts = rows.filter((r) => names.get(r.id) !== r.username).map((r) => r.id);
    // with their user only: a login of a user already there may have been ended there since
    await copyLogins(
      sqlite,
      client,
      copied.rows.map((r: { id: string }) => Number(r.id)),
    );
    const nextId = await moveSequence(client, Math.max(sequence, ...rows.map((r) => r.id)));
    await client.query('COMMIT');
    return { read: rows.length, copied: copied.rowCount ?? 0, conflicts, nextId };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The logins of the users copied now, so nobody is signed out by the move. */
async function copyLogins(sqlite: Database, client: ClientBase, userIds: number[]): Promise<void> {
  if (!sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'logins'").get()) return;
  const wanted = new Set(userIds);
  const logins = sqlite
    .prepare<[], Record<string, string | number>>('SELECT * FROM logins')
    .all()
    .filter((l) => wanted.has(Number(l.user_id)));
  const column = (name: string) => logins.map((l) => l[name]);
  await client.query(
    `INSERT INTO logins (id, user_id, created_at, last_seen_at, auth_at, device, ip, persistent)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
       $7::text[], $8::int[]::boolean[]) ON CONFLICT DO NOTHING`,
    ['id', 'user_id', 'created_at', 'last_seen_at', 'auth_at', 'device', 'ip', 'persistent'].map(column),
  );
}

/** setval past the highest id handed out anywhere, never backwards; the next id. */
async function moveSequence(client: ClientBase, sqliteHighest: number): Promise<number> {
  const { rows } = await client.query<{ seq: string; highest: string }>(
    `SELECT pg_get_serial_sequence('users', 'id') AS seq, COALESCE(MAX(id), 0) AS highest FROM users`,
  );
  const seq = rows[0]?.seq ?? 'users_id_seq';
  const state = await client.query<{ last_value: string; is_called: boolean }>(
    `SELECT last_value, is_called FROM ${seq}`, // a regclass name from PostgreSQL, not input
  );
  const s = state.rows[0];
  const handedOut = s ? Number(s.last_value) - (s.is_called ? 0 : 1) : 0;
  const highest = Math.max(sqliteHighest, Number(rows[0]?.highest ?? 0), handedOut);
  if (highest > 0) await client.query('SELECT setval($1::regclass, $2, true)', [seq, highest]);
  return highest + 1;
}
