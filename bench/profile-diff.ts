// npx tsx bench/profile-diff.ts <a.cpuprofile> <requests a> <b.cpuprofile> <requests b> [top=40]
// Two V8 CPU profiles side by side in µs per request (each divided by the requests its process
// served): self time per package or app file, native code and Node internals charged to their caller,
// and inclusive time of the bigger functions, sorted by how much more b spends than a.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Profile } from './cpu-profile';

const owner = (url: string, name: string) => {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  return url.startsWith('node:') ? url : basename(url);
};

/**
 * The pieces of a request, matched on a frame's URL (or V8's bucket name). A sample is charged to the
 * innermost frame that matches one; Node's other internals and native code (crypto, JSON, Map) count
 * for the piece that called them. Node's HTTP and socket code is a piece of its own, so the response
 * write is not charged to whichever wrapper of res.end happened to call it.
 */
const PIECES: [string, RegExp][] = [
  ['start-up (module loading, tsx), not per request', /tsx|node:internal\/modules|cjs-module-lexer/],
  ['garbage collection', /^\(garbage collector\)$/],
  [
    'Node HTTP: parse, headers, write, socket',
    /node:_http|node:net|node:internal\/streams|node:internal\/stream_base|node:stream/,
  ],
  [
    'request log (src/http/request-log.ts, pino-http)',
    /src\/http\/request-log\.ts|src\/logger\.ts|\/pino\/|\/pino-http\/|sonic-boom|@pinojs|\/pino-std-serializers\//,
  ],
  ['security headers', /src\/http\/security-headers\.ts/],
  [
    'negotiation, Vary, no-store, JSON reply',
    /src\/http\/replies\.ts|\/vary\/|\/negotiator\/|\/accepts\/|\/mime-types\/|\/mime-db\//,
  ],
  ['cross-origin check', /src\/http\/cross-origin\.ts/],
  ['the lock (cookie read, queue, res.end wrapper)', /src\/lock\//],
  ['the memory store (LRU, JSON both ways, key hash)', /src\/stores\/|\/lru-cache\//],
  ['the inspector note', /src\/inspector\//],
  ['session helpers and save promise', /src\/session\.ts/],
  ['the /increment handler', /src\/demo\/|bench\/(floor|lesson|bare)-app\.js/],
  [
    'express-session (cookie, HMACs, SHA-1 checks, hooks)',
    /express-session|\/cookie\/|cookie-signature|on-headers|uid-safe|random-bytes/,
  ],
  [
    'Express and its router (layers, req/res helpers)',
    /\/router\/|\/express\/|path-to-regexp|parseurl|finalhandler|\/depd\/|\/debug\/|content-type|\/qs\//,
  ],
  ['server entry (src/http/server.ts)', /src\/http\/server\.ts/],
];

function pieceOf(frames: { url: string; functionName: string }[]): string {
  for (const f of frames) {
    const where = f.url || f.functionName;
    for (const [name, re] of PIECES) if (re.test(where)) return name;
  }
  return 'other (event loop, timers, promises, native)';
}

/** µs per request: charged self time by owner, and inclusive time by function. */
function perRequest(file: string, requests: number): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out = new Map<string, number>();
  const add = (k: string, t: number) => out.set(k, (out.get(k) ?? 0) + t / requests);
  profile.samples.forEach((id, i) => {
    const t = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id)?.callFrame;
    if (!leaf || leaf.functionName === '(idle)') return;
    add('= busy', t);
    const seen = new Set<string>();
    const frames: { url: string; functionName: string }[] = [];
    let charged: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (!f || f.functionName === '(root)') continue;
      frames.push(f);
      const who = owner(f.url, f.functionName);
      if (!charged && !who.startsWith('node:') && !(who === '(native)')) charged = who;
      seen.add(`incl ${f.functionName || '(anon)'} ${who}:${f.lineNumber + 1}`);
    }
    add(`self ${charged ?? owner(leaf.url, leaf.functionName)}`, t);
    add(`piece ${pieceOf(frames)}`, t);
    for (const k of seen) add(k, t);
  });
  return out;
}

const [fa, ra, fb, rb, top = '40'] = process.argv.slice(2);
if (!fa || !fb) throw new Error('usage: profile-diff.ts a.cpuprofile requestsA b.cpuprofile requestsB');
const a = perRequest(fa, Number(ra));
const b = perRequest(fb, Number(rb));
const keys = [...new Set([...a.keys(), ...b.keys()])];
const row = (k: string) => {
  const x = a.get(k) ?? 0;
  const y = b.get(k) ?? 0;
  return `${x.toFixed(1).padStart(7)} ${y.toFixed(1).padStart(7)} ${(y - x).toFixed(1).padStart(7)}  ${k}`;
};
console.log('   a µs    b µs   b − a');
console.log(row('= busy'));
/** The keys starting with `prefix`, by how much more b spends than a, at most `limit` of them. */
function section(title: string, prefix: string, limit = Number.POSITIVE_INFINITY): void {
  console.log(`\n${title}`);
  const more = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  for (const k of keys
    .filter((k) => k.startsWith(prefix))
    .sort((p, q) => more(q) - more(p))
    .slice(0, limit))
    console.log(row(k));
}
section('pieces of a request (innermost matching frame; see PIECES):', 'piece ');
section(
  'self time, native and Node internals charged to the nearest package or app file:',
  'self ',
  Number(top),
);
section('inclusive, by function (b − a largest first):', 'incl ', Number(top));
