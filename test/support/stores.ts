import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { MemorySessionStore } from '../../src/stores/memory';
import { SqliteSessionStore } from '../../src/stores/sqlite';
import type { SessionStore } from '../../src/stores/types';

/** The stores the per-user features run on in-process, each made fresh inside its test. */
export const indexedStores: [string, () => SessionStore][] = [
  ['memory', () => new MemorySessionStore({ maxSessions: 1000 })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'accounts-'));
      const store = new SqliteSessionStore({ path: join(dir, 'app.db'), maxSessions: 1000 });
      onTestFinished(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
];
