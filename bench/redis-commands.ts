// npx tsx bench/redis-commands.ts [requests=200]
// What each Redis-backed server sends to Redis for one /increment of an existing session: the lesson's
// app on connect-redis against this app on Redis. MONITOR sees every command a client sends (commands
// a Lua script runs inside Redis show as "lua" and are left out); only command names are printed, never
// keys or values. Not a timing: the round trips are what the lock costs on top of the peer.
import { createClient } from 'redis';
import { startRedisServer } from '../scripts/lib/redis-server';
import { startChild } from './child';
import { command, type Server } from './servers';

const requests = Number(process.argv[2] ?? 200);
const redis = await startRedisServer();
const options = { logLevel: 'warn', workDir: '/tmp', redisUrl: redis.url };
const monitor = createClient({ url: redis.url });
await monitor.connect();

async function perRequest(server: Server): Promise<Map<string, number>> {
  const { args, env, cwd } = command(server, options);
  const child = await startChild(args, env, cwd);
  const url = `http://127.0.0.1:${child.port}/increment`;
  const headers = { accept: 'application/json' };
  const first = await fetch(url, { headers });
  const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const seen = new Map<string, number>();
  let ended: () => void = () => {};
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const listener = (line: string) => {
    if (line.includes('"bench-end"')) return ended();
    const name = /\] "([a-zA-Z]+)"/.exec(line)?.[1]?.toUpperCase();
    if (name && !line.includes(' lua]')) seen.set(name, (seen.get(name) ?? 0) + 1);
  };
  const client = monitor.duplicate();
  await client.connect();
  await client.monitor(listener);
  for (let i = 0; i < requests; i++) await (await fetch(url, { headers: { ...headers, cookie } })).text();
  await monitor.echo('bench-end'); // MONITOR shows it after every request's commands: they were answered
  await end;
  await client.close();
  await child.stop();
  return new Map([...seen].map(([name, n]) => [name, n / requests]));
}

for (const server of [{ kind: 'lesson-redis' }, { kind: 'app', store: 'redis' }] as Server[]) {
  const counts = await perRequest(server);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts].map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ');
  console.log(
    `${server.kind === 'app' ? 'this app (redis)' : 'lesson app (connect-redis)'}: ${total.toFixed(2)} commands per /increment (${parts})`,
  );
}
await monitor.close();
await redis.close();
