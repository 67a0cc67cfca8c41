import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openDatabase } from '../../src/sqlite/database';
import { MemorySessionStore } from '../../src/stores/memory';
import { SqliteSessionStore } from '../../src/stores/sqlite';
import type { SessionBackend } from '../../src/stores/types';

/** A SQLite file in a fresh temp directory, closed and removed when the test ends. */
export function tempDatabase(prefix = 'sessions-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'app.db');
  const db = openDatabase(path);
  onTestFinished(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, path, dir };
}

/** The in-process session backends, each made fresh inside its test. */
export const inProcessBackends: [string, () => SessionBackend][] = [
  ['memory', () => new MemorySessionStore({ maxSessions: 1000 })],
  [
    'sqlite',
    () => {
      const store = new SqliteSessionStore({ db: tempDatabase().db, maxSessions: 1000 });
      onTestFinished(() => store.close());
      return store;
    },
  ],
];
