import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killOnExit, stopChild } from './processes';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx'); // absolute: `--import tsx` would be resolved from the instance's cwd

export type LogLine = Record<string, unknown>;

/** A running `src/server.ts`: its address, the JSON log lines it printed, and how to stop it. */
export interface AppProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  logs: LogLine[];
  /** what it wrote to stderr and to stdout that was not a log line */
  output(): string;
  /** resolves with the exit code (or signal) once the process is gone */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after 15 s, and waits until its whole process group is gone */
  stop(): Promise<void>;
}

/** The server entry as `npm start` runs it, with exactly `env`, in its own process group; output piped. */
export function spawnApp({
  env,
  cwd,
}: {
  env: Record<string, string | undefined>;
  cwd?: string;
}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, SERVER], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own group: Ctrl+C reaches the caller, which stops its instances in order
  });
}

/**
 * Starts the server entry as `npm start` does, with exactly `env` (PORT=0 picks a free port), in its
 * own process group, and resolves once it logs "listening on" (so LOG_LEVEL must show info lines).
 * `onLog` sees every log line as it comes.
 */
export async function startApp(options: {
  env: Record<string, string | undefined>;
  cwd?: string;
  onLog?: (entry: LogLine) => void;
}): Promise<AppProcess> {
  const child = spawnApp(options);
  const forget = killOnExit(() => child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      forget();
      resolve({ code, signal });
    }),
  );
  const logs: LogLine[] = [];
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (buffered + chunk.toString()).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parse(line);
        if (!entry) {
          output += `${line}\n`;
          continue;
        }
        logs.push(entry);
        options.onLog?.(entry);
        const match = /^listening on http:\/\/[^:]+:(\d+)/.exec(String(entry.msg));
        if (match) resolve(Number(match[1]));
      }
    });
    exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${output}`)));
  });
  return {
    child,
    pid: child.pid as number,
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    output: () => output,
    exited,
    stop: () => stopChild(child),
  };
}

function parse(line: string): LogLine | undefined {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === 'object' && entry !== null ? (entry as LogLine) : undefined;
  } catch {
    return undefined; // not a log line
  }
}
