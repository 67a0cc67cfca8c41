import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TEST_SECRET } from './helper';
import { tempDir } from './support/files';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RECORD = fileURLToPath(new URL('./support/record-modules.mjs', import.meta.url));

interface Started {
  /** the address it logged as listening on */
  url: string;
  /** the module URLs it resolved so far */
  modules(): string[];
}

/** Starts `node <loader> <entry>` in `cwd` with only `env` (and PATH), recording each module it resolves. */
async function startRecorded(loader: string[], entry: string, env: Record<string, string>, cwd: string) {
  const record = join(cwd, 'modules.txt');
  const child = spawn(process.execPath, [...loader, '--import', RECORD, entry], {
    cwd,
    env: { PATH: process.env.PATH, RECORD_MODULES: record, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => void child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const listening = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (listening) resolve(listening);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, modules: () => readFileSync(record, 'utf8').split('\n') } satisfies Started;
}

/** `src/server.ts` through tsx (what `npm start` runs), with test settings and `env` over a SQLite setup. */
async function modulesLoaded(env: Record<string, string> = {}): Promise<string[]> {
  const dir = tempDir('modules-');
  const settings = { NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, PORT: '0', LOG_LEVEL: 'info' };
  const server = await startRecorded(
    ['--import', import.meta.resolve('tsx')],
    join(ROOT, 'src/server.ts'),
    { ...settings, SQLITE_PATH: join(dir, 'app.db'), ...env },
    dir,
  );
  return server.modules();
}

/** Runs this project's `npm run build` in `dir`, a stand-in checkout (package.json, src and node_modules). */
function buildIn(dir: string): string {
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const linked of ['src', 'node_modules']) symlinkSync(join(ROOT, linked), join(dir, linked));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: 'inherit' });
  return join(dir, 'dist/server.js');
}

async function increment(url: string, cookie = ''): Promise<{ count: number; cookie: string }> {
  const res = await fetch(`${url}/increment`, { headers: { accept: 'application/json', cookie } });
  const { count } = (await res.json()) as { count: number };
  return { count, cookie: res.headers.getSetCookie()[0]?.split(';')[0] ?? cookie };
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

describe('the compiled start (npm run build, then npm run start:prod)', () => {
  it('counts on SQLite with no .env and no settings, and loads neither the Redis client nor pg', async () => {
    const dir = tempDir('compiled-');
    const bundle = buildIn(dir);

    const server = await startRecorded(['--enable-source-maps'], bundle, { PORT: '0' }, dir);
    const first = await increment(server.url);
    const second = await increment(server.url, first.cookie);

    expect([first.count, second.count]).toEqual([1, 2]);
    const modules = server.modules();
    expect(from(modules, 'better-sqlite3')).not.toEqual([]);
    expect(modules.filter((url) => url.includes('/node_modules/tsx/'))).toEqual([]); // no compiler
    for (const pkg of ['redis', '@redis/client', 'connect-redis', 'pg'])
      expect(from(modules, pkg)).toEqual([]);
  }, 60_000);
});
