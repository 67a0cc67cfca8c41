import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { TEST_SECRET } from '../helper';

/** A real `src/server.ts` process on a free loopback port, and the JSON log lines it printed. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  logs: Array<Record<string, unknown>>;
  /** resolves with the exit code (or signal) once the process is gone */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the server entry exactly as `npm start` does, with test settings over `env`. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      SESSION_SECRET: TEST_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCRYPT_COST: '1024',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          const match = /^listening on http:\/\/[^:]+:(\d+)/.exec(String(entry.msg));
          if (match) resolve(Number(match[1]));
        } catch {} // not a log line
      }
    });
    exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, port, logs, exited };
}

export interface Outcome {
  status?: number;
  count?: number;
  error?: string;
  sentAt: number;
}

/** One GET over a keep-alive agent; network errors are results, not exceptions. */
export function get(agent: Agent, url: string, cookie?: string): Promise<Outcome & { cookie?: string }> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      { agent, headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          let count: number | undefined;
          try {
            count = (JSON.parse(body) as { count?: number }).count;
          } catch {}
          const set = res.headers['set-cookie']?.find((c) => c.startsWith('sid='))?.split(';')[0];
          resolve({ status: res.statusCode, count, cookie: set ?? cookie, sentAt });
        });
        res.on('error', (err) =>
          resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message, sentAt }),
        );
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message, sentAt }));
    req.end();
  });
}

export { Agent };
