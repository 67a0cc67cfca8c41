import type { Database } from '../db';

/** The sessions table, migration by migration: append-only, never edit one that has shipped. */
export const MIGRATIONS = [
  `CREATE TABLE sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL);
   CREATE INDEX sessions_expires ON sessions (expires);`,
];

/** Every query the SQLite session store runs, prepared once. */
export function prepareStatements(db: Database) {
  return {
    get: db.prepare<[string, number], { data: string }>(
      'SELECT data FROM sessions WHERE sid = ? AND expires > ?',
    ),
    update: db.prepare('UPDATE sessions SET data = ?, expires = ? WHERE sid = ?'),
    insert: db.prepare('INSERT INTO sessions (sid, data, expires) VALUES (?, ?, ?)'),
    evict: db.prepare(
      'DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions ORDER BY expires LIMIT ?)',
    ),
    touch: db.prepare('UPDATE sessions SET expires = ? WHERE sid = ? AND expires > ?'),
    destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    all: db.prepare<[number], { sid: string; data: string }>(
      'SELECT sid, data FROM sessions WHERE expires > ?',
    ),
    length: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires > ?'),
    rows: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM sessions'),
    prune: db.prepare('DELETE FROM sessions WHERE expires <= ?'),
    clear: db.prepare('DELETE FROM sessions'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
