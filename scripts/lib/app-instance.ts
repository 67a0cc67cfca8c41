import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killGroup, signal } from './processes';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx'); // absolute: `--import tsx` would be resolved from the instance's cwd

/** One `src/server.ts` in its own working directory, printing its warnings and errors as `[port] …`. */
export async function startInstance(port: number, cwd: string, env: Record<string, string>) {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, ['--import', TSX, SERVER], {
    cwd, // its own data directory: nothing shared on disk, as on two machines
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', SQLITE_PATH: `${cwd}/app.db` },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // own group: Ctrl+C reaches the cluster, which stops the instances in order
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parse(line);
        if (entry.msg.startsWith('listening on')) resolve();
        if (entry.level >= 40 || entry.msg.startsWith('listening on')) console.log(`[${port}] ${entry.msg}`);
      }
    });
    exited.then(([code]) => reject(new Error(`instance on ${port} exited with ${code} before listening`)));
  });
  return {
    pid: child.pid as number,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        signal(child.pid as number, 'SIGTERM');
        const timer = setTimeout(() => signal(-(child.pid as number), 'SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await killGroup(child.pid as number);
    },
  };
}

function parse(line: string): { level: number; msg: string } {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    return { level: entry.level ?? 30, msg: String(entry.msg ?? '') };
  } catch {
    return { level: 40, msg: line }; // not a log line: show it
  }
}
