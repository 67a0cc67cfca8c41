// npm run bench [-- --quick] [--only=3,5] [--server=memory] [--duration=10] [--log-level=info]
//   [--profile] [--app-root=../other-checkout]
// Each server runs in its own child process, one at a time; the load generator runs here.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config';
import { cpuOf, memoryOf, startChild } from './child';
import { createSessions, hammer } from './load';
import { startRedis } from './redis';
import { addRatios, ceiling, checks, type Row, table } from './report';
import {
  BENCH_SECRET,
  command,
  label,
  type Server,
  type ServerOptions,
  sqlitePath,
  unavailable,
} from './servers';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    duration: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    profile: { type: 'boolean', default: false },
    server: { type: 'string' }, // run only servers whose label contains this, e.g. memory
    'app-root': { type: 'string' }, // run this app from another checkout, e.g. a git worktree
  },
});
const quick = flags.quick;
const duration = Number(flags.duration ?? (quick ? 2 : 10));
const warmup = quick ? 0.5 : 3;
const connections = 32;
const floodAmount = quick ? 5_000 : 100_000;
const only = flags.only?.split(',').map(Number);

const lesson: Server = { kind: 'lesson' };
const app = (store: 'memory' | 'sqlite' | 'redis'): Server => ({ kind: 'app', store });
type Traffic = 'cookieless' | 'sessions' | 'flood';
const scenarios: { n: number; title: string; servers: Server[]; traffic: Traffic; sessions?: number }[] = [
  {
    n: 1,
    title: 'bare Express 5, same JSON, no session',
    servers: [{ kind: 'bare' }],
    traffic: 'cookieless',
  },
  {
    n: 2,
    title: 'lesson app /increment, no cookie (a new session each request)',
    servers: [lesson],
    traffic: 'cookieless',
  },
  {
    n: 3,
    title: '/increment, 1,000 distinct returning sessions round-robin',
    servers: [lesson, { kind: 'floor' }, app('memory'), app('sqlite'), app('redis')],
    traffic: 'sessions',
    sessions: 1000,
  },
  {
    n: 4,
    title: `/increment, one returning session over ${connections} connections (no target)`,
    servers: [lesson, app('memory'), app('sqlite'), app('redis')],
    traffic: 'sessions',
    sessions: 1,
  },
  {
    n: 5,
    title: `cookieless flood: ${floodAmount.toLocaleString('en')} requests, each creating a session`,
    servers: [lesson, app('memory'), app('sqlite')],
    traffic: 'flood',
  },
];

const workDir = mkdtempSync(join(tmpdir(), 'session-bench-'));
const options: ServerOptions = {
  logLevel: flags['log-level'],
  workDir,
  ...(flags['app-root'] ? { appRoot: resolve(flags['app-root']) } : {}),
  ...(flags.profile ? { profileDir: resolve('bench/results/profiles') } : {}),
};
const cap = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: BENCH_SECRET }).store.memoryMaxSessions;

async function measure(n: number, traffic: Traffic, server: Server, sessions?: number): Promise<Row> {
  const row: Row = { scenario: n, server: label(server) };
  const why = unavailable(server, options);
  if (why) return { ...row, skipped: why };
  const { args, env, cwd } = command(server, options);
  let child: Awaited<ReturnType<typeof startChild>>;
  try {
    child = await startChild(args, env, cwd);
  } catch (err) {
    return { ...row, skipped: `did not start: ${(err as Error).message}` };
  }
  try {
    const cookies = sessions ? await createSessions(child.port, sessions) : undefined;
    // the flood warms up on one returning session, so the sessions held afterwards are the flood's
    const warmCookies = traffic === 'flood' ? await createSessions(child.port, 1) : cookies;
    await hammer(child.port, { duration: warmup, connections, cookies: warmCookies });
    const before = memoryOf(child.pid).rss;
    const cpuBefore = cpuOf(child.pid);
    const amount = traffic === 'flood' ? floodAmount : undefined;
    let highest = before;
    const sampler = setInterval(() => {
      highest = Math.max(highest, memoryOf(child.pid).rss);
    }, 100);
    Object.assign(
      row,
      await hammer(child.port, { duration, amount, connections, cookies }).finally(() =>
        clearInterval(sampler),
      ),
    );
    row.cpuPerRequest = (cpuOf(child.pid) - cpuBefore) / (row.requests || 1);
    const after = memoryOf(child.pid);
    row.peakRss = after.peak;
    if (traffic === 'flood') {
      row.rssGrowth = after.rss - before;
      row.peakGrowth = Math.max(highest, after.rss) - before;
      if (server.kind === 'lesson') row.held = await heldByLesson(child.port);
      if (server.kind === 'app' && server.store === 'memory') row.held = `≤ ${cap} (cap)`;
    }
  } finally {
    await child.stop();
  }
  if (options.profileDir) row.profile = newestProfile(options.profileDir);
  if (traffic === 'flood' && server.kind === 'app' && server.store === 'sqlite')
    row.held = rowsIn(sqlitePath(options));
  return row;
}

/** The main thread's profile the server just wrote on exit (tsx's loader thread writes a smaller one). */
function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).map((f) => join(dir, f));
  const recent = files.filter((f) => Date.now() - statSync(f).mtimeMs < 5_000);
  return recent.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

async function heldByLesson(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/bench/sessions`);
  return ((await res.json()) as { sessions: number }).sessions;
}

function rowsIn(path: string): number | string {
  try {
    const db = new Database(path, { readonly: true });
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number };
    db.close();
    return n;
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  console.log(
    `bench: ${cpus().length} cores, Node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `${quick ? 'quick' : 'full'} run: ${duration} s per scenario after ${warmup} s warm-up, ${connections} connections, this app at LOG_LEVEL=${options.logLevel} (stdout to /dev/null)`,
  );
  const redis = await startRedis();
  options.redisUrl = redis?.url;
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      if (only && !only.includes(scenario.n)) continue;
      for (const server of scenario.servers) {
        if (flags.server && !label(server).includes(flags.server)) continue;
        console.log(`scenario ${scenario.n}: ${scenario.title} — ${label(server)}`);
        const row = await measure(scenario.n, scenario.traffic, server, scenario.sessions);
        console.log(row.skipped ? `  skipped: ${row.skipped}` : `  ${row.rps?.toFixed(0)} req/s`);
        if (row.profile) console.log(`  profile: ${row.profile} (npx tsx bench/profile.ts <file>)`);
        rows.push(row);
      }
    }
  } finally {
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  addRatios(rows);
  const targets = checks(rows, cap);
  console.log(`\n${table(rows)}\n`);
  if (quick) console.log('quick run: too short to compare servers, so the targets are shown but not judged');
  for (const t of targets)
    console.log(`${quick || t.met === undefined ? '–' : t.met ? 'met ' : 'MISSED'} ${t.target}: ${t.value}`);
  const bound = ceiling(rows);
  if (bound) console.log(bound);
  const loadAfter = loadavg();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    loadBefore,
    loadAfter,
  };
  const settings = { quick, duration, warmup, connections, floodAmount, logLevel: options.logLevel, cap };
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt, machine, settings, rows, targets, ceiling: bound }, null, 2)}\n`,
  );
  console.log(`\nload ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; results in ${file}`);
  // under CI (the smoke test) no thresholds on speed, but every server must start and answer with 2xx
  const broken = rows.filter((r) => r.skipped || r.errors || r.non2xx);
  if (process.env.CI === 'true' && broken.length > 0) {
    const why = (r: Row) => r.skipped ?? `${r.errors} errors, ${r.non2xx} non-2xx`;
    console.error(
      `bench smoke failed: ${broken.map((r) => `s${r.scenario} ${r.server}: ${why(r)}`).join('; ')}`,
    );
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
