import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsConnections, asRoot, command, findPostgresBin } from './postgres-bin';
import { childPids, killOnExit, signal, stopChild, waitFor } from './processes';

/** A throwaway PostgreSQL in a temp directory, on a loopback port that stays the same across restarts. */
export interface PostgresServer {
  /** postgres://app@127.0.0.1:<port>/postgres (trust auth: no password) */
  url: string;
  port: number;
  /** fast shutdown (clients are disconnected), waiting until it has exited */
  stop(): Promise<void>;
  /** starts it again on the same port and data, and waits until it accepts connections */
  start(): Promise<void>;
  /** the process group of the running server (the runuser wrapper's, as root), for checks */
  pid(): number | undefined;
  /** whether the server process is up (paused counts as up) */
  running(): boolean;
  /** SIGSTOP the postmaster and its backends: connections stay open but nothing answers */
  pause(): void;
  /** SIGCONT after pause() */
  resume(): void;
  /** stops it for good and removes the temp directory; safe to call twice */
  close(): Promise<void>;
}

/** initdb in a new temp directory (or `dir`), then postgres on `port`, waiting until it answers. */
export async function startPostgres({ port, dir }: { port: number; dir?: string }): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL not found in /usr/lib/postgresql/<version>/bin');
  const home = dir ?? mkdtempSync(join(tmpdir(), 'pg-'));
  if (asRoot) {
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })),
    );
    chownSync(home, uid ?? 0, gid ?? 0); // mkdtemp made it root's, mode 0700
  }
  const data = join(home, 'data');
  const [initCmd, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'app',
    '--auth=trust',
    '--no-sync',
  ]);
  execFileSync(initCmd, [...initArgs, '-E', 'UTF8'], { stdio: 'ignore' });
  const url = `postgres://app@127.0.0.1:${port}/postgres`;
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    home,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ];

  let child: ChildProcess | undefined;
  const forget = killOnExit(() => child);
  // the postmaster's pid, from its pid file: the child we spawned may be the runuser wrapper
  const postmaster = (): number | undefined => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  };

  const start = async () => {
    const [cmd, cmdArgs] = command(join(bin, 'postgres'), args);
    const proc = spawn(cmd, cmdArgs, { stdio: 'ignore', detached: true }); // own group: killed as one
    child = proc;
    await waitFor('postgres', async () => {
      if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}`);
      return acceptsConnections(url);
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
    resume(); // a stopped process cannot handle a signal
    // fast shutdown; SIGTERM would wait for every client to leave
    await stopChild(proc, { name: 'SIGINT', pid: postmaster(), graceMs: 5000 });
  };
  const each = (name: NodeJS.Signals, order: 'parent-first' | 'children-first') => {
    const pm = postmaster();
    if (!pm) return;
    const pids = [pm, ...childPids(pm)]; // the postmaster first: it must not fork while we stop the rest
    for (const pid of order === 'parent-first' ? pids : pids.reverse()) signal(pid, name);
  };
  const resume = () => each('SIGCONT', 'children-first');

  await start();
  return {
    url,
    port,
    stop,
    start,
    pid: () => child?.pid,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    pause: () => each('SIGSTOP', 'parent-first'),
    resume,
    close: async () => {
      await stop();
      forget();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
