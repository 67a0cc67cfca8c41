import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** The ids of pid's child processes, read from /proc (Linux). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {} // the process ended while we looked
  }
  return children;
}

/** Whether any process of the process group led by pid is still running. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to a process, ignoring one that has already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {} // already gone
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

/** Whether something accepts TCP connections on the loopback port. */
export function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
  });
}

/** Calls check every 50 ms until it resolves true; throws after `ms`. Ports have no event to wait on. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

/**
 * Kills what is left of the process group led by pid (e.g. the esbuild service tsx starts, which
 * outlives node by a moment) and waits until it is gone: there is no event for a non-child's exit.
 */
export async function killGroup(pid: number): Promise<void> {
  if (!groupAlive(pid)) return;
  signal(-pid, 'SIGKILL');
  await waitFor(`process group ${pid} to end`, async () => !groupAlive(pid), 5000);
}

/**
 * Stops a detached child: `name` (SIGTERM) to `pid` (the child, or a process it stands for), SIGKILL
 * to its group after `graceMs`, then waits for the exit and for the rest of its group.
 */
export async function stopChild(
  child: ChildProcess,
  {
    name = 'SIGTERM',
    pid = child.pid,
    graceMs = 15_000,
  }: { name?: NodeJS.Signals; pid?: number; graceMs?: number } = {},
): Promise<void> {
  if (!child.pid) return;
  const group = child.pid;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    signal(pid ?? group, name);
    const timer = setTimeout(() => signal(-group, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  await killGroup(group);
}

/** Kills the child's process group if this process exits first; returns the undo. */
export function killOnExit(child: () => ChildProcess | undefined): () => void {
  const kill = () => {
    const pid = child()?.pid;
    if (pid) signal(-pid, 'SIGKILL');
  };
  process.once('exit', kill);
  return () => process.off('exit', kill);
}
