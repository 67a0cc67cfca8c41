import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_SECRET } from './helper';
import { tempDir } from './support/files';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const RECORD = fileURLToPath(new URL('./support/record-modules.mjs', import.meta.url));

/** The module URLs a server resolves from start until it listens, with `env` over a SQLite setup. */
async function modulesLoaded(env: Record<string, string> = {}): Promise<string[]> {
  const dir = tempDir('modules-');
  const record = join(dir, 'modules.txt');
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--import', RECORD, SERVER],
    {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SESSION_SECRET: TEST_SECRET,
        PORT: '0',
        LOG_LEVEL: 'info',
        SQLITE_PATH: join(dir, 'app.db'),
        RECORD_MODULES: record,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => String(chunk).includes('listening on') && resolve());
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  child.kill('SIGKILL');
  return readFileSync(record, 'utf8').split('\n');
}

const from = (modules: string[], pkg: string) =>
  modules.filter((url) => url.includes(`/node_modules/${pkg}/`));

describe('a server on SQLite, without DATABASE_URL', () => {
  it('loads neither the Redis client nor pg', async () => {
    const modules = await modulesLoaded({ SESSION_STORE: 'sqlite' });

    expect(from(modules, 'better-sqlite3')).not.toEqual([]); // the record sees packages
    for (const pkg of ['redis', '@redis/client', 'connect-redis', 'pg'])
      expect(from(modules, pkg)).toEqual([]);
  }, 30_000);

  it('loads pg once DATABASE_URL names a PostgreSQL (which may be down: it connects in the background)', async () => {
    const modules = await modulesLoaded({ DATABASE_URL: 'postgres://app@127.0.0.1:1/none' });

    expect(from(modules, 'pg')).not.toEqual([]);
    expect(from(modules, 'redis')).toEqual([]);
  }, 30_000);
});
