// npx tsx bench/profile.ts <file.cpuprofile> [top=25] [requests served: shows µs per request]
// Summarises a V8 CPU profile (node --cpu-prof): self time by package/file and by function.
import { readFileSync } from 'node:fs';
import type { Profile } from './cpu-profile';

/** node_modules/<pkg>, src/<file>, node:<module>, or the V8 bucket name ((garbage collector), (idle)...). */
function owner(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

export function summarise(profile: Profile, top = 25, requests = 0): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)');
  const busy = total - idle.reduce((a, [, t]) => a + t, 0);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byOwner = new Map<string, number>();
  const charged = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)?.callFrame ?? {
      functionName: '?',
      url: '',
      lineNumber: 0,
    };
    if (functionName === '(idle)') continue;
    const who = owner(url, functionName);
    byOwner.set(who, (byOwner.get(who) ?? 0) + t);
    const fn = `${functionName || '(anonymous)'} ${who}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
    // charged: node internals and native code count for the nearest package or app file that called them
    let payer = who;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const pkg = owner(frame.url, frame.functionName);
      if (pkg.startsWith('(') && frame.functionName !== '(native)' && at === id) break; // GC, program
      if (!pkg.startsWith('node:') && !pkg.startsWith('(')) {
        payer = pkg;
        break;
      }
    }
    charged.set(payer, (charged.get(payer) ?? 0) + t);
    // inclusive: every package and function on the stack counts once per sample
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const pkg = owner(frame.url, frame.functionName);
      seen.add(`[${pkg}]`);
      seen.add(`${frame.functionName || '(anonymous)'} ${pkg}:${frame.lineNumber + 1}`);
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
  const perRequest = (t: number) => (requests ? ` ${(t / requests).toFixed(1).padStart(6)} µs/req` : '');
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%${perRequest(t)}`;
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${pct(t)}  ${k}`)
      .join('\n');
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled (percentages are of busy time)${perRequest(busy)}`,
    '\nself time by package / file:',
    list(byOwner),
    '\nself time, node internals and native code charged to the package or file that called them:',
    list(charged),
    '\nself time by function:',
    list(byFunction),
    '\ninclusive time ([package] or function, once per sample):',
    list(inclusive),
  ].join('\n');
}

if (process.argv[2]) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile;
  console.log(summarise(profile, Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0)));
}
