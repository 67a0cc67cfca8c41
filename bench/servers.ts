import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreKind } from '../src/config';

/** What runs in the child: bare Express, the lesson's app, or this app's real server entry on a store. */
export type Server =
  | { kind: 'bare' }
  | { kind: 'floor' }
  | { kind: 'lesson' }
  | { kind: 'app'; store: StoreKind };

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
}

export const BENCH_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

export function label(server: Server): string {
  return server.kind === 'app'
    ? `this app (${server.store})`
    : server.kind === 'bare'
      ? 'bare Express'
      : server.kind === 'floor'
        ? 'express-session floor'
        : 'lesson app';
}

/** Why a server cannot run yet, or undefined when it can. */
export function unavailable(server: Server, options: ServerOptions): string | undefined {
  if (server.kind !== 'app' || server.store === 'memory') return undefined;
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
      env: { NODE_ENV: 'production' },
    };
  }
  counter++;
  return {
    ...(options.appRoot ? { cwd: options.appRoot } : {}),
    // the real server entry, exactly as `npm start` runs it
    args: [...profile, '--import', 'tsx', 'src/server.ts'],
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
