import type { Database } from '../sqlite/database';
import { parseSession } from '../stores/session-json';
import { type LegacySession, legacyMove, type Moved, type UpgradeDeps } from './logins';

/**
 * Sessions in the SQLite file: the previous version's user_id column is the index. The login rows
 * are written first, then the sessions rewritten and the column dropped in one transaction; the
 * server is not serving yet, and holds the file alone.
 */
export async function moveSqliteLogins(
  deps: UpgradeDeps,
  db: Database,
  generationOf: (userId: number) => Promise<number | undefined>,
): Promise<number> {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('sessions')").all();
  if (!columns.some((c) => c.name === 'user_id')) return 0;
  const rows = db
    .prepare<[number], { sid: string; data: string; expires: number }>(
      'SELECT sid, data, expires FROM sessions WHERE user_id IS NOT NULL AND expires > ?',
    )
    .all(Date.now());
  const moved: Array<Moved & { key: string }> = [];
  for (const row of rows) {
    const data = parseSession(row.data) as LegacySession | null;
    const move = data && (await legacyMove(deps, data, row.expires, generationOf));
    if (move) moved.push({ ...move, key: row.sid });
  }
  for (const { login } of moved) await deps.users.startLogin(login, Number.MAX_SAFE_INTEGER);
  const rewrite = db.prepare<[string, string]>('UPDATE sessions SET data = ? WHERE sid = ?');
  db.transaction(() => {
    for (const { key, session } of moved) rewrite.run(JSON.stringify(session), key);
    db.exec('DROP INDEX IF EXISTS sessions_user; ALTER TABLE sessions DROP COLUMN user_id;');
    db.exec('DROP TABLE IF EXISTS legacy_generations'); // no-op when the users are in PostgreSQL
  }).immediate();
  return moved.length;
}
