import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './child';

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

const candidates = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

/** Starts a throwaway redis-server on a free loopback port, no persistence; undefined if none installed. */
export async function startRedis(): Promise<RedisServer | undefined> {
  const bin = candidates.find((path) => existsSync(path));
  if (!bin) return undefined;
  const port = await freePort();
  const proc = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  // whatever ends the bench, even a crash, must not leave this redis-server running
  const killOnExit = () => proc.kill();
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await gone;
  };
  for (let tries = 0; tries < 100; tries++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, stop };
    await sleep(50);
  }
  await stop();
  throw new Error('redis-server did not start');
}
