import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startApp } from '../../scripts/lib/app-instance';
import { launchChromium } from './browser';

export interface RunningServer {
  url: string;
  /** SIGTERM, then the exit code once the process has stopped. */
  stop(): Promise<number | null>;
}

/**
 * Starts the real server entry (src/server.ts) as a child process on a free loopback port and
 * waits until it says it is listening. Every key that changes behaviour is set here, so a local .env
 * (read by the server with dotenv, which never overrides) cannot change what the tests see.
 * The SQLite file (users, and sessions if SESSION_STORE=sqlite) lives in a fresh temporary directory.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-server-'));
  const server = await startApp({
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      SESSION_STORE: 'memory',
      SESSION_SECRET: 'e2e-secret-that-is-long-enough-0123456789',
      COOKIE_SECURE: 'false',
      TRUST_PROXY: 'false',
      ALLOWED_ORIGINS: '',
      LOG_LEVEL: 'info', // the "listening on" line says it is ready
      SCRYPT_COST: '1024',
      SQLITE_PATH: join(dir, 'app.db'),
      ...env,
    },
  }).catch(async (err: Error) => {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`server did not start: ${err.message}`);
  });
  return {
    url: server.url,
    async stop() {
      await server.stop();
      const { code } = await server.exited;
      await rm(dir, { recursive: true, force: true });
      if (code !== 0) console.error(`server exited with ${code}:\n${server.output()}`);
      return code;
    },
  };
}

/**
 * The real server and a headless Chromium for the enclosing describe: started before all, closed
 * after all, and the server must then exit 0 (a clean SIGTERM shutdown). Read them inside tests.
 */
export function useServerAndBrowser(env: Record<string, string> = {}): {
  server: RunningServer;
  browser: Browser;
} {
  const running = {} as { server: RunningServer; browser: Browser };
  beforeAll(async () => {
    running.server = await startServer(env);
    running.browser = await launchChromium();
  });
  afterAll(async () => {
    await running.browser?.close();
    expect(await running.server?.stop()).toBe(0);
  });
  return running;
}
