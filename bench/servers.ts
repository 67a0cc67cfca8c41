import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreKind } from '../src/config';

/**
 * What runs in the child: bare Express, the lesson's app (on its MemoryStore, or on connect-redis), or
 * this app's real server entry on a store, started as `npm start` does or, `compiled`, as `npm run start:prod`.
 */
export type Server =
  | { kind: 'bare' }
  | { kind: 'floor' }
  | { kind: 'lesson' }
  | { kind: 'lesson-redis' }
  | { kind: 'app'; store: StoreKind; compiled?: boolean };

export interface ServerOptions {
  /** this app's LOG_LEVEL; info is the production default (request log on, written to /dev/null) */
  logLevel: string;
  /** a throwaway directory for SQLite files */
  workDir: string;
  redisUrl?: string;
  /** run this app from another checkout (a git worktree), to compare a change against the tree here */
  appRoot?: string;
  /** write a V8 CPU profile into this directory when the process exits */
  profileDir?: string;
  /** why `npm run build` failed, when it did: the compiled rows are skipped */
  buildFailed?: string;
}

export const BENCH_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

const NAMES = {
  bare: 'bare Express',
  floor: 'express-session floor',
  lesson: 'lesson app',
  'lesson-redis': 'lesson app (connect-redis)',
} as const;

export function label(server: Server): string {
  if (server.kind !== 'app') return NAMES[server.kind];
  return `this app (${server.store}${server.compiled ? ', compiled' : ''})`;
}

/** Runs `npm run build` in the app's checkout, for the compiled rows; returns why it failed, if it did. */
export function build(options: ServerOptions): string | undefined {
  try {
    execFileSync('npm', ['run', 'build'], {
      cwd: options.appRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return undefined;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    return `npm run build failed: ${stderr.split('\n')[0]}`;
  }
}

/** Why a server cannot run yet, or undefined when it can. */
export function unavailable(server: Server, options: ServerOptions): string | undefined {
  if (server.kind === 'lesson-redis' && !options.redisUrl) return 'no redis-server installed';
  if (server.kind !== 'app') return undefined;
  if (server.compiled && options.buildFailed) return options.buildFailed;
  if (server.store === 'memory') return undefined;
  if (!existsSync(`src/stores/${server.store}.ts`)) return 'store not available yet';
  if (server.store === 'redis' && !options.redisUrl) return 'no redis-server installed';
  return undefined;
}

let counter = 0;

/** node arguments and environment for one server; each call gets a fresh SQLite file. */
export function command(
  server: Server,
  options: ServerOptions,
): { args: string[]; env: Record<string, string>; cwd?: string } {
  const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const exitOnSignal = options.profileDir ? ['--import', './bench/exit-on-signal.js'] : [];
  if (server.kind !== 'app') {
    return {
      args: [...profile, ...exitOnSignal, `bench/${server.kind}-app.js`],
      env: {
        NODE_ENV: 'production',
        ...(server.kind === 'lesson-redis' && options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      },
    };
  }
  counter++;
  // the real server entry, exactly as `npm start` (tsx) or `npm run start:prod` (the bundle) runs it
  const entry = server.compiled
    ? ['--enable-source-maps', 'dist/server.js']
    : ['--import', 'tsx', 'src/server.ts'];
  return {
    ...(options.appRoot ? { cwd: options.appRoot } : {}),
    args: [...profile, ...entry],
    env: {
      NODE_ENV: 'production',
      SESSION_SECRET: BENCH_SECRET,
      COOKIE_SECURE: 'false', // plain HTTP on loopback; production expects TLS at a proxy
      HOST: '127.0.0.1',
      LOG_LEVEL: options.logLevel,
      SESSION_STORE: server.store,
      SQLITE_PATH: sqlitePath(options, counter),
      ...(options.redisUrl ? { REDIS_URL: options.redisUrl, REDIS_PREFIX: `bench${counter}:` } : {}),
    },
  };
}

export function sqlitePath(options: ServerOptions, n = counter): string {
  return join(options.workDir, `sessions-${n}.db`);
}
