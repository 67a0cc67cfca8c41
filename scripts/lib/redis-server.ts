import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { killGroup, signal, waitFor } from './processes';

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

/** A throwaway redis-server on a loopback port, keeping nothing on disk; stop() waits until it is gone. */
export async function startRedisServer(port: number, dir: string) {
  const args = [
    '--save',
    '',
    '--appendonly',
    'no',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: true }); // own group: Ctrl+C is ours
  const exited = once(child, 'exit');
  await waitFor('redis-server', async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    return answersPing(port);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        signal(child.pid as number, 'SIGTERM');
        await exited;
      }
      await killGroup(child.pid as number);
    },
  };
}
