import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** A free loopback port: PORT=0 would work, but the server does not print the port it got. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

export interface RunningServer {
  url: string;
  /** SIGTERM, then the exit code once the process has stopped. */
  stop(): Promise<number | null>;
}

/**
 * Starts the real server entry (src/server.ts) as a child process on a free loopback port and
 * waits until /healthz answers. Every key that changes behaviour is set here, so a local .env
 * (read by the server with dotenv, which never overrides) cannot change what the tests see.
 * The SQLite file (users, and sessions if SESSION_STORE=sqlite) lives in a fresh temporary directory.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'e2e-server-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      SESSION_STORE: 'memory',
      SESSION_SECRET: 'e2e-secret-that-is-long-enough-0123456789',
      COOKIE_SECURE: 'false',
      TRUST_PROXY: 'false',
      ALLOWED_ORIGINS: '',
      LOG_LEVEL: 'warn',
      SCRYPT_COST: '1024',
      SQLITE_PATH: join(dir, 'app.db'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  try {
    await waitForHealth(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw new Error(`server did not start: ${(err as Error).message}\n${output}`);
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      if (code !== 0) console.error(`server exited with ${code}:\n${output}`);
      return code;
    },
  };
}

// polling is the only signal: at LOG_LEVEL=warn the server prints nothing when it is ready
async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${url}/healthz within ${START_TIMEOUT_MS} ms`);
}
