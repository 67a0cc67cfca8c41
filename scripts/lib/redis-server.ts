import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort, killOnExit, signal, stopChild, waitFor } from './processes';

/** A throwaway redis-server on a loopback port that stays the same across stop() and start(). */
export interface RedisServer {
  url: string;
  port: number;
  /** the running process, which leads its own process group */
  pid(): number | undefined;
  /** stops the process (SIGTERM) and waits until it and its group are gone */
  stop(): Promise<void>;
  /** starts it again on the same port and waits until it answers PING */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers */
  pause(): void;
  /** SIGCONT after pause() */
  resume(): void;
  /** stops it for good; safe to call twice */
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

/**
 * Starts redis-server on `port` (default: a free one), keeping nothing on disk, and waits until it
 * answers PING. `dir` is its working directory; `args` are more redis-server options.
 */
export async function startRedisServer(
  options: { port?: number; dir?: string; args?: string[] } = {},
): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found');
  const port = options.port ?? (await freePort());
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
  if (options.dir) args.push('--dir', options.dir);
  args.push(...(options.args ?? []));
  let child: ChildProcess | undefined;
  const forget = killOnExit(() => child);

  const start = async () => {
    const proc = spawn(bin, args, { stdio: 'ignore', detached: true }); // own group: Ctrl+C is ours
    child = proc;
    await waitFor('redis-server', async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      return answersPing(port);
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    if (proc.pid) signal(proc.pid, 'SIGCONT'); // a paused process cannot handle SIGTERM
    await stopChild(proc);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid,
    stop,
    start,
    pause: () => child?.pid && signal(child.pid, 'SIGSTOP'),
    resume: () => child?.pid && signal(child.pid, 'SIGCONT'),
    close: async () => {
      await stop();
      forget();
    },
  };
}
