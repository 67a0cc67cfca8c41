import { parseSession } from './record';
import type { Statements } from './sqlite-sql';
import type { UserSession } from './types';

/** The user's live sessions through the user_id index: cost bounded by that user's rows. */
export function listUserSessions(sql: Statements, userId: number, now: number): UserSession[] {
  const out: UserSession[] = [];
  for (const row of sql.byUser.iterate(userId, now)) {
    const data = parseSession(row.data);
    if (data) out.push({ key: row.sid, data, expiresAt: row.expires }); // a corrupt row is no session
  }
  return out;
}

/**
 * Deletes the user's rows but `exceptKey`'s, each leaving a tombstone until `tombstoneUntil`, so a
 * request still in flight cannot write it back. Run in one transaction. `live`: how many had not expired.
 */
export function endUserSessions(
  sql: Statements,
  userId: number,
  exceptKey: string | null,
  now: number,
  tombstoneUntil: number,
): { deleted: number; live: number } {
  const rows = sql.destroyByUser.all(userId, exceptKey);
  for (const row of rows) sql.tombstone.run(row.sid, tombstoneUntil);
  return { deleted: rows.length, live: rows.filter((row) => row.expires > now).length };
}

/** Deletes one row by its store key and leaves a tombstone, even with no row: a write may be on its way. */
export function endSessionByKey(
  sql: Statements,
  key: string,
  now: number,
  tombstoneUntil: number,
): { deleted: number; live: boolean } {
  const row = sql.destroyByKey.get(key);
  sql.tombstone.run(key, tombstoneUntil);
  return { deleted: row ? 1 : 0, live: row !== undefined && row.expires > now };
}
