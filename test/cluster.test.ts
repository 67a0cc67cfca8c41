import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, groupAlive } from '../scripts/lib/processes';
import { PASSWORD } from './support/accounts';
import { sendJson } from './support/http';
import { postgresAvailable } from './support/postgres';
import { Agent, get } from './support/process';
import { redisAvailable } from './support/redis';

/** Starts `npm run cluster` on free ports and resolves with what it printed once it is up. */
async function startCluster() {
  const ports = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts'], {
    env: { PATH: process.env.PATH, CLUSTER_PORTS: ports.join(','), SCRYPT_COST: '1024' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = once(child, 'exit').finally(() => process.off('exit', killOnExit));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ctrl+C stops everything')) resolve();
    });
    exited.then(() => reject(new Error(`cluster exited before it was up:\n${output}`)));
  });
  const field = (name: string) => new RegExp(`^\\s+${name}\\s+(.+)$`, 'm').exec(output)?.[1] ?? '';
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const servicePorts = [field('redis'), field('postgres')].map((url) => Number(new URL(url).port));
  return {
    child,
    exited,
    output: () => output,
    urls,
    ports: [...ports, ...servicePorts],
    dir: field('temp dir'),
    pids: field('pids').split(' ').map(Number),
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

/** Processes whose working directory is inside dir: the instances, Redis, and every PostgreSQL process. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

const hasServices = redisAvailable('npm run cluster') && postgresAvailable('npm run cluster');

describe.skipIf(!hasServices)('npm run cluster', () => {
  it('runs two instances sharing sessions and logins, no SQLite file, and Ctrl+C leaves nothing running', async () => {
    const cluster = await startCluster();
    const [one = '', two = ''] = cluster.urls;
    const agent = new Agent({ keepAlive: false });

    const first = await get(agent, `${one}/increment`);
    const second = await get(agent, `${two}/increment`, first.cookie);
    const signup = await sendJson(`${one}/signup`, undefined, { username: 'alice', password: PASSWORD });
    const profile = await sendJson(`${two}/profile`, signup.cookie);
    const logout = await sendJson(`${two}/logout`, signup.cookie, {});
    const login = await sendJson(`${two}/login`, undefined, { username: 'alice', password: PASSWORD });
    const sessions = await sendJson(`${one}/sessions`, login.cookie);
    const files = readdirSync(cluster.dir, { recursive: true }).map(String);
    const running = processesIn(cluster.dir).length;
    cluster.child.kill('SIGINT');
    const [code] = await cluster.exited;

    expect([first.count, second.count]).toEqual([1, 2]); // the cookie from one instance counts on the other
    expect(signup.status).toBe(201);
    expect(profile).toMatchObject({ status: 200, body: { user: { username: 'alice' } } }); // users and logins in PostgreSQL
    expect(logout).toMatchObject({ status: 200, cookie: 'sid=' }); // cleared
    expect(sessions.status).toBe(200);
    expect(sessions.body.sessions).toHaveLength(1); // the login ended on the other instance is gone here too
    expect(files.filter((f) => /\.db($|-|\.claim)/.test(f))).toEqual([]); // SQLite serves one process: not used
    expect(code).toBe(0);
    expect(cluster.output()).toContain('temp directory removed');
    expect(cluster.pids).toHaveLength(4);
    expect(cluster.pids.filter(groupAlive)).toEqual([]); // not redis, postgres or its backends, nor an instance
    expect(running).toBeGreaterThan(4); // the check sees them: instances, Redis, postmaster and its children
    expect(processesIn(cluster.dir)).toEqual([]); // PostgreSQL's children are in sessions of their own
    expect(existsSync(cluster.dir)).toBe(false);
    expect(await Promise.all(cluster.ports.map(refused))).toEqual([true, true, true, true]);
  }, 60_000);
});
