// npm run cluster: a throwaway Redis and PostgreSQL and two app instances sharing them, as on two
// machines; Ctrl+C stops it all and removes the temp directory. Needs redis-server and postgresql.
// SQLite serves one process, so the instances keep sessions in Redis and users in PostgreSQL: none
// opens a SQLite file.
// Ports: CLUSTER_PORTS (default 3000,3001), CLUSTER_REDIS_PORT and CLUSTER_POSTGRES_PORT (default free).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from './lib/app-instance';
import { type PostgresServer, startPostgres } from './lib/postgres-server';
import { freePort, waitFor } from './lib/processes';
import { startRedisServer } from './lib/redis-server';

type Stoppable = { stop(): Promise<void> };

async function main(): Promise<void> {
  const ports = (process.env.CLUSTER_PORTS ?? '3000,3001').split(',').map(Number);
  const redisPort = Number(process.env.CLUSTER_REDIS_PORT) || (await freePort());
  const postgresPort = Number(process.env.CLUSTER_POSTGRES_PORT) || (await freePort());
  const home = mkdtempSync(join(tmpdir(), 'cluster-'));
  chmodSync(home, 0o711); // the postgres user must reach its own subdirectory; nobody may list ours
  const running: Stoppable[] = []; // stopped in reverse: instances first, then what they use
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('cluster: stopping');
    for (const part of running.reverse()) await part.stop().catch((err) => console.error(err));
    rmSync(home, { recursive: true, force: true });
    console.log('cluster: stopped, temp directory removed');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const redis = await startRedisServer({ port: redisPort, dir: home });
    running.push(redis);
    mkdirSync(join(home, 'postgres'));
    const postgres: PostgresServer = await startPostgres({ port: postgresPort, dir: join(home, 'postgres') });
    running.push({ stop: () => postgres.stop() });
    const env = {
      SESSION_SECRET: randomBytes(32).toString('hex'), // one secret: a cookie from one instance verifies on the other
      SESSION_STORE: 'redis', // sessions, the lock and the login counters, shared
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url, // users and their logins, shared
    };
    const instances = await Promise.all(
      ports.map((port, i) => startInstance(port, join(home, `app-${i + 1}`), env)),
    );
    running.push(...instances);
    for (const instance of instances) instance.exited.then(() => void stopAll(1)); // one died: stop it all
    // an instance listens before Redis and PostgreSQL have connected: "up" means each one is ready for both
    await Promise.all(
      ports.map((port) => waitFor(`the instance on ${port} to be ready`, () => isReady(port))),
    );
    console.log(
      [
        'cluster: up',
        `  open      ${ports.map((p) => `http://127.0.0.1:${p}`).join('  and  ')}`,
        `  redis     ${redis.url}`,
        `  postgres  ${postgres.url}`,
        `  temp dir  ${home}`,
        `  pids      ${[redis.pid(), postgres.pid(), ...instances.map((i) => i.pid)].join(' ')}`,
        'cluster: Ctrl+C stops everything',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`cluster: could not start: ${(err as Error).message}`);
    await stopAll(1);
  }
}

// ready for sessions (200) and for users too: PostgreSQL connects and migrates in the background
const isReady = (port: number) =>
  fetch(`http://127.0.0.1:${port}/readyz`).then(
    async (res) => res.ok && ((await res.json()) as { checks?: { users?: string } }).checks?.users === 'ok',
    () => false,
  );

/** One instance in its own working directory, as on its own machine, printing its warnings as `[port] …`. */
async function startInstance(port: number, cwd: string, env: Record<string, string>) {
  mkdirSync(cwd, { recursive: true });
  const instance = await startApp({
    cwd,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    onLog: (entry) => {
      const msg = String(entry.msg ?? '');
      if (Number(entry.level ?? 30) >= 40 || msg.startsWith('listening on')) console.log(`[${port}] ${msg}`);
    },
  });
  instance.exited.then(() => instance.output() && console.error(`[${port}] ${instance.output()}`));
  return instance;
}

void main();
