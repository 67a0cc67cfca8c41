import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { RedisSessionStore, type RedisStoreOptions } from '../../src/stores/redis';
import { silentLogger } from '../helper';
import { serviceAvailable } from './service';

/** A redis-server the test owns, on a loopback port that stays the same across stop() and start(). */
export interface RedisServer {
  url: string;
  port: number;
  /** stops the process (SIGTERM) and waits for it to exit */
  stop(): Promise<void>;
  /** starts it again on the same port and waits until it answers PING */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers */
  pause(): void;
  /** SIGCONT after pause() */
  resume(): void;
  /** stops it for good; safe to call twice (use in afterAll) */
  close(): Promise<void>;
}

/** The redis-server binary (/usr/bin/redis-server or on PATH), or undefined when there is none. */
export function findRedisServer(): string | undefined {
  try {
    accessSync('/usr/bin/redis-server', constants.X_OK);
    return '/usr/bin/redis-server';
  } catch {
    const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : undefined;
  }
}

/** Whether a suite needing Redis runs: see serviceAvailable for the skip and CI rule. */
export function redisAvailable(suite: string): boolean {
  return serviceAvailable(suite, findRedisServer() ? undefined : 'redis-server not found');
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Spawns redis-server on a free loopback port, without persistence, and waits until it answers. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found');
  const port = await freePort();
  const args = [
    '--save',
    '',
    '--appendonly',
    'no',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    ...extraArgs,
  ];
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    const proc = spawn(bin, args, { stdio: 'ignore' });
    child = proc;
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (await answersPing(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50)); // polling a port: there is no event for it
    }
    throw new Error('redis-server did not answer within 5 s');
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGCONT'); // a paused process cannot handle SIGTERM
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    close: async () => {
      await stop();
      process.off('exit', killOnExit);
    },
  };
}

/** Resolves on the client's next 'ready'. Not events.once: that rejects on the 'error' each failed reconnect emits. */
export function nextReady(client: { once(event: 'ready', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** A session store on the test's Redis, connected; the caller closes it. */
export async function connectedRedisStore(
  url: string,
  prefix = 'sess:',
  options: Partial<RedisStoreOptions> = {},
): Promise<RedisSessionStore> {
  const store = new RedisSessionStore({
    url,
    prefix,
    timeoutMs: 1000,
    maxSessions: 100_000,
    ttlMs: 86_400_000,
    logger: silentLogger,
    ...options,
  });
  if (!store.client.isReady) await nextReady(store.client);
  return store;
}
