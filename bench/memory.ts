// npm run bench:memory [-- --server=memory] [--duration=10]
// Where a server's memory goes under scenario 3's load (1,000 sessions, /increment over 32 connections):
// the parts of its RSS at the highest sample, and its live heap by package or source file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChild } from './child';
import { createSessions, hammer } from './load';
import { MiB } from './report';
import { build, command, label, type Server, type ServerOptions } from './servers';

const { values: flags } = parseArgs({
  options: { server: { type: 'string' }, duration: { type: 'string', default: '10' } },
});
const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
const TOP = 12;

interface HeapNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapNode[];
}
interface Probe {
  peak: NodeJS.MemoryUsage & {
    rssAnon: number;
    rssFile: number;
    threads: number;
    /** the V8 heap's spaces: name, size, used */
    spaces: Array<[string, number, number]>;
  };
  /** heap bytes in use after a full GC, at the end of the load */
  live: number;
  heap?: HeapNode;
}

/** A script URL as the package it belongs to, or the project file, or Node's own code. */
function owner(url: string): string {
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node (its own JavaScript)';
  const file = /\/((?:src|dist|bench)\/.*)$/.exec(url)?.[1];
  return file ?? url;
}

/** Live sampled heap bytes by owner; an allocation in V8's builtins counts for the script that called it. */
function byOwner(
  node: HeapNode,
  inherited = '(V8 and start-up, no script)',
  into = new Map<string, number>(),
) {
  const who = node.callFrame.url ? owner(node.callFrame.url) : inherited;
  into.set(who, (into.get(who) ?? 0) + node.selfSize);
  for (const child of node.children) byOwner(child, who, into);
  return into;
}

const mib = (n: number) => (n / MiB).toFixed(1).padStart(7);

async function measure(server: Server, options: ServerOptions): Promise<Probe> {
  const { args, env, cwd } = command(server, options);
  const file = join(options.workDir, `probe-${Date.now()}.json`);
  const child = await startChild(['--import', PROBE, ...args], { ...env, MEMORY_PROBE: file }, cwd);
  try {
    const cookies = await createSessions(child.port, 1000);
    const duration = Number(flags.duration);
    await hammer(child.port, { duration: 3, connections: 32, cookies });
    await hammer(child.port, { duration, connections: 32, cookies });
    process.kill(child.pid, 'SIGUSR2');
    for (let waited = 0; !existsSync(file) && waited < 10_000; waited += 100) await sleep(100);
    return JSON.parse(readFileSync(file, 'utf8')) as Probe;
  } finally {
    await child.stop();
  }
}

function report(name: string, { peak, live, heap }: Probe): void {
  const other = peak.rss - peak.heapTotal - peak.external - peak.rssFile;
  console.log(`\n${name}: RSS ${mib(peak.rss).trim()} MiB at the highest sample, ${peak.threads} threads`);
  console.log(
    `${mib(peak.heapTotal)}  V8 heap of the main thread: ${mib(peak.heapUsed).trim()} in use, of which ${mib(live).trim()} live after a full GC at the end`,
  );
  const spaces = peak.spaces.filter(([, size]) => size >= MiB / 2);
  console.log(
    `           by space: ${spaces.map(([n, size, used]) => `${n} ${mib(size).trim()} (${mib(used).trim()})`).join(', ')}`,
  );
  console.log(
    `${mib(peak.external)}  external to it: Buffers and other native memory V8 is told of (ArrayBuffers ${mib(peak.arrayBuffers).trim()})`,
  );
  console.log(`${mib(peak.rssFile)}  mapped files: the node binary, shared libraries, native addons`);
  console.log(
    `${mib(other)}  the rest: other threads' heaps (under tsx, its loader's), native allocations, stacks, allocator slack`,
  );
  if (!heap) return;
  const owners = [...byOwner(heap)].sort((a, b) => b[1] - a[1]);
  const total = owners.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`live heap after that GC, by the code that allocated it (${mib(total).trim()} MiB sampled):`);
  for (const [who, bytes] of owners.slice(0, TOP)) console.log(`${mib(bytes)}  ${who}`);
}

async function main(): Promise<void> {
  const all: Server[] = [{ kind: 'lesson' }];
  for (const store of ['memory', 'sqlite'] as const)
    all.push({ kind: 'app', store }, { kind: 'app', store, compiled: true });
  const servers = all.filter((server) => !flags.server || label(server).includes(flags.server));
  const options: ServerOptions = {
    logLevel: 'info',
    workDir: mkdtempSync(join(tmpdir(), 'session-memory-')),
  };
  try {
    if (servers.some((s) => s.kind === 'app' && s.compiled)) options.buildFailed = build(options);
    for (const server of servers) {
      if (server.kind === 'app' && server.compiled && options.buildFailed) {
        console.log(`\n${label(server)}: skipped, ${options.buildFailed}`);
        continue;
      }
      report(label(server), await measure(server, options));
    }
  } finally {
    rmSync(options.workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
