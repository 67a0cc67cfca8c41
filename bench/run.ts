// npm run bench [-- --quick] [--only=3,5] [--server=memory] [--duration=10] [--rounds=3] [--log-level=info]
//   [--profile] [--app-root=../other-checkout]
// Each server runs in its own child process, one at a time; the load generator runs here.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config';
import { chart } from './chart';
import { cpuOf, memoryOf, startChild } from './child';
import { createSessions, hammer } from './load';
import { addUsers, LOGIN_CLIENTS, startLogins } from './logins';
import { startRedis } from './redis';
import { addRatios, type Row, table, withMedians } from './report';
import {
  BENCH_SECRET,
  build,
  command,
  label,
  type Server,
  type ServerOptions,
  sqlitePath,
  unavailable,
} from './servers';
import { ceiling, checks, WITH_LOGINS } from './targets';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' }, // scenario 3's interleaved rounds (3 unless set)
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
const app = (store: 'memory' | 'sqlite' | 'redis', compiled = false): Server => ({
  kind: 'app',
  store,
  ...(compiled ? { compiled } : {}),
});
type Traffic = 'cookieless' | 'sessions' | 'flood' | 'logins';
interface Scenario {
  n: number;
  title: string;
  servers: Server[];
  traffic: Traffic;
  sessions?: number;
  /** run every server this many times in turn (interleaved), to judge each round on its own */
  rounds?: number;
}
const scenarios: Scenario[] = [
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
    // the peers (the lesson's app on its MemoryStore and on connect-redis, the floor), then this app
    // started both ways on memory and SQLite; on Redis with npm start only, to keep the run short
    servers: [
      lesson,
      { kind: 'floor' },
      { kind: 'lesson-redis' },
      app('memory'),
      app('memory', true),
      app('sqlite'),
      app('sqlite', true),
      app('redis'),
    ],
    traffic: 'sessions',
    sessions: 1000,
    rounds: Number(flags.rounds ?? 3),
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
  {
    n: 6,
    title: `logins must not slow the site: /increment (1,000 sessions) alone, then beside ${LOGIN_CLIENTS} clients logging in and out`,
    servers: [app('sqlite')], // the default store; its file holds the users too
    traffic: 'logins',
    sessions: 1000,
  },
];

const loginsShown = (row: Row) =>
  row.logins ? `${row.logins.ok} / ${row.logins.refused} / ${row.logins.failed}` : '';

const workDir = mkdtempSync(join(tmpdir(), 'session-bench-'));
const options: ServerOptions = {
  logLevel: flags['log-level'],
  workDir,
  ...(flags['app-root'] ? { appRoot: resolve(flags['app-root']) } : {}),
  ...(flags.profile ? { profileDir: resolve('bench/results/profiles') } : {}),
};
const cap = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: BENCH_SECRET }).store.memoryMaxSessions;

type Child = Awaited<ReturnType<typeof startChild>>;

/** One measured load on a running child: req/s, latency, and its CPU per request. */
async function loadOn(child: Child, row: Row, cookies?: string[], amount?: number): Promise<Row> {
  const cpuBefore = cpuOf(child.pid);
  Object.assign(row, await hammer(child.port, { duration, amount, connections, cookies }));
  row.cpuPerRequest = (cpuOf(child.pid) - cpuBefore) / (row.requests || 1);
  row.peakRss = memoryOf(child.pid).peak;
  return row;
}

/** Scenario 6: the same /increment load without logins, then with the login clients running. */
async function measureLogins(n: number, child: Child, row: Row, sessions: number): Promise<Row[]> {
  const cookies = await createSessions(child.port, sessions);
  await hammer(child.port, { duration: warmup, connections, cookies });
  const quiet = await loadOn(child, row, cookies);
  const logins = startLogins(child.port);
  let busy: Row = { scenario: n, server: `${row.server}${WITH_LOGINS}` };
  try {
    await hammer(child.port, { duration: warmup, connections, cookies }); // the hash queue fills
    busy = await loadOn(child, busy, cookies);
  } finally {
    busy.logins = await logins.stop();
  }
  return [quiet, busy];
}

async function measure(n: number, traffic: Traffic, server: Server, sessions?: number): Promise<Row[]> {
  const row: Row = { scenario: n, server: label(server) };
  const why = unavailable(server, options);
  if (why) return [{ ...row, skipped: why }];
  const { args, env, cwd } = command(server, options);
  let child: Child;
  try {
    if (traffic === 'logins') await addUsers(env.SQLITE_PATH ?? '', env);
    child = await startChild(args, env, cwd);
  } catch (err) {
    return [{ ...row, skipped: `did not start: ${(err as Error).message}` }];
  }
  try {
    if (traffic === 'logins') return await measureLogins(n, child, row, sessions ?? 1000);
    const cookies = sessions ? await createSessions(child.port, sessions) : undefined;
    // the flood warms up on one returning session, so the sessions held afterwards are the flood's
    const warmCookies = traffic === 'flood' ? await createSessions(child.port, 1) : cookies;
    const warm = await hammer(child.port, { duration: warmup, connections, cookies: warmCookies });
    // every request the process served, for µs per request from its profile
    row.served = (cookies?.length ?? 0) + (traffic === 'flood' ? 1 : 0) + warm.requests;
    const before = memoryOf(child.pid).rss;
    const amount = traffic === 'flood' ? floodAmount : undefined;
    let highest = before;
    const sampler = setInterval(() => {
      highest = Math.max(highest, memoryOf(child.pid).rss);
    }, 100);
    await loadOn(child, row, cookies, amount).finally(() => clearInterval(sampler));
    const after = memoryOf(child.pid);
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
  if (row.served !== undefined) row.served += row.requests ?? 0;
  if (traffic === 'flood' && server.kind === 'app' && server.store === 'sqlite')
    row.held = rowsIn(sqlitePath(options));
  return [row];
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

/** The servers the chosen scenarios and --server will run. */
const selected = (): Server[] =>
  scenarios
    .filter((scenario) => !only || only.includes(scenario.n))
    .flatMap((scenario) => scenario.servers)
    .filter((server) => !flags.server || label(server).includes(flags.server));

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
  if (selected().some((server) => server.kind === 'app' && server.compiled)) {
    console.log('npm run build (for the compiled rows)');
    options.buildFailed = build(options);
  }
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      if (only && !only.includes(scenario.n)) continue;
      const rounds = scenario.rounds ?? 1;
      for (let round = 1; round <= rounds; round++) {
        for (const server of scenario.servers) {
          if (flags.server && !label(server).includes(flags.server)) continue;
          const which = rounds > 1 ? ` (round ${round} of ${rounds})` : '';
          console.log(`scenario ${scenario.n}: ${scenario.title} — ${label(server)}${which}`);
          for (const row of await measure(scenario.n, scenario.traffic, server, scenario.sessions)) {
            if (scenario.rounds) row.round = round;
            console.log(
              row.skipped ? `  skipped: ${row.skipped}` : `  ${row.server}: ${row.rps?.toFixed(0)} req/s`,
            );
            if (row.logins) console.log(`  logins ok / refused / failed: ${loginsShown(row)}`);
            if (row.profile)
              console.log(
                `  profile: ${row.profile} (npx tsx bench/profile.ts <file> 25 ${row.served ?? ''})`,
              );
            rows.push(row);
          }
        }
      }
    }
  } finally {
    await redis?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  addRatios(rows);
  const targets = checks(rows, cap);
  const shownRows = withMedians(rows);
  console.log(`\n${table(shownRows)}\n`);
  if (quick) console.log('quick run: too short to compare servers, so the targets are shown but not judged');
  for (const t of targets) {
    const verdict = quick || t.met === undefined ? '–' : t.met ? 'met ' : 'MISSED';
    console.log(`${verdict} ${t.stretch ? '(stretch) ' : ''}${t.target}: ${t.value}`);
  }
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
    `${JSON.stringify({ startedAt, machine, settings, rows: shownRows, targets, ceiling: bound }, null, 2)}\n`,
  );
  const caption = `scenario 3, ${quick ? 'quick' : 'full'} run ${startedAt.toISOString().slice(0, 16)}Z, ${machine.cores} cores, Node ${machine.node}; medians of the rounds`;
  writeFileSync(file.replace(/\.json$/, '.svg'), chart(shownRows, caption));
  console.log(
    `\nload ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; results in ${file} (chart: .svg beside it)`,
  );
  // under CI (the smoke test) no thresholds on speed, but every server must start and answer with 2xx
  // refused logins (a full hash queue, 503) are a figure, not a failure; any other login answer is
  const broken = rows.filter((r) => r.skipped || r.errors || r.non2xx || r.logins?.failed);
  if (process.env.CI === 'true' && broken.length > 0) {
    const why = (r: Row) =>
      r.skipped ?? `${r.errors} errors, ${r.non2xx} non-2xx, ${r.logins?.failed ?? 0} failed logins`;
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
