import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, listensOn } from '../scripts/lib/processes';

/** A server under test, running in its own process on a loopback port. */
export interface Child {
  port: number;
  pid: number;
  /** what the process wrote to stderr so far (stdout goes to /dev/null) */
  stderr(): string;
  stop(): Promise<void>;
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * Starts `node <args>` with exactly `env` (plus PATH/HOME/PORT), waits until it accepts connections,
 * and rejects with its stderr if it exits first.
 */
export async function startChild(args: string[], env: Record<string, string>, cwd?: string): Promise<Child> {
  const bound = await freePort();
  const proc = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(bound) },
    // stdout (the request log) to /dev/null: a pipe would make this process spend CPU reading it
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  proc.once('error', (err) => {
    stderr += err.message; // could not spawn at all (a missing cwd, say): reported below, not thrown here
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const done = await Promise.race([exited(proc).then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      proc.kill('SIGKILL');
      await exited(proc);
    }
  };
  const deadline = Date.now() + 20_000;
  while (!(await listensOn(bound))) {
    if (proc.exitCode !== null || proc.pid === undefined || Date.now() > deadline) {
      await stop();
      throw new Error(stderr.trim().split('\n').slice(0, 3).join(' | ') || 'server did not start');
    }
    await sleep(50);
  }
  return { port: bound, pid: proc.pid ?? 0, stderr: () => stderr, stop };
}

/** Resident and peak resident memory of a process, in bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** CPU time (user + system) a process has used so far, in microseconds (Linux /proc, 100 Hz ticks). */
export function cpuOf(pid: number): number {
  try {
    // fields after the parenthesised command name; utime and stime are the 12th and 13th of them
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}
