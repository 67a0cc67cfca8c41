import { Agent, request } from 'node:http';
import { type AppProcess, startApp } from '../../scripts/lib/app-instance';
import { TEST_SECRET } from '../helper';

/** A real `src/server.ts` process on a free loopback port, and the JSON log lines it printed. */
export type ServerProcess = AppProcess;

/** The environment a test server process gets: test settings, with `env` over them. */
export const serverEnv = (env: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  NODE_ENV: 'test',
  SESSION_SECRET: TEST_SECRET,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  SCRYPT_COST: '1024',
  ...env,
});

/** Starts the server entry exactly as `npm start` does, with test settings over `env`. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  return startApp({ env: serverEnv(env) });
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
