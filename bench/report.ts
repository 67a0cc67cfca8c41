import type { Measured } from './load';
import type { LoginTally } from './logins';

export interface Row extends Partial<Measured> {
  scenario: number;
  server: string;
  /** which of the interleaved rounds (scenario 3), or the median row made from them */
  round?: number | 'median';
  skipped?: string;
  /** server CPU time (user + system) per request, µs: steadier than req/s on a shared machine */
  cpuPerRequest?: number;
  /** bytes: VmHWM of the server process at the end of the run */
  peakRss?: number;
  /** bytes: VmRSS after the measured run minus VmRSS just before it */
  rssGrowth?: number;
  /** bytes: the highest VmRSS sampled during the run (every 100 ms) minus VmRSS just before it */
  peakGrowth?: number;
  /** sessions the store held after the run, counted (number) or bounded ('≤ cap') */
  held?: number | string;
  /** the login clients' results while this row's /increment load ran (scenario 6) */
  logins?: LoginTally;
  vsBare?: number;
  vsLesson?: number;
  /** the server's CPU profile, with --profile */
  profile?: string;
  /** requests the process served in all (session setup, warm-up, the run): divides its profile */
  served?: number;
}

export const MiB = 1024 * 1024;

export const median = (xs: number[]): number | undefined => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Adds, after a scenario's last round, one row per server of its rounds' medians (errors summed). */
export function withMedians(rows: Row[]): Row[] {
  const out: Row[] = [];
  rows.forEach((row, i) => {
    out.push(row);
    if (typeof row.round !== 'number' || rows[i + 1]?.scenario === row.scenario) return;
    const ofScenario = rows.filter((r) => r.scenario === row.scenario && !r.skipped);
    for (const server of new Set(ofScenario.map((r) => r.server))) {
      out.push(medianOf(ofScenario.filter((r) => r.server === server)));
    }
  });
  return out;
}

function medianOf(same: Row[]): Row {
  const mid = (key: 'rps' | 'cpuPerRequest' | 'p50' | 'p99') =>
    median(same.map((r) => r[key]).filter((x): x is number => x !== undefined));
  const sum = (key: 'errors' | 'non2xx' | 'requests') => same.reduce((a, r) => a + (r[key] ?? 0), 0);
  return {
    scenario: same[0]?.scenario ?? 0,
    server: same[0]?.server ?? '',
    round: 'median',
    rps: mid('rps'),
    cpuPerRequest: mid('cpuPerRequest'),
    p50: mid('p50'),
    p99: mid('p99'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    requests: sum('requests'),
    peakRss: Math.max(...same.map((r) => r.peakRss ?? 0)),
  };
}

/** Fills each row's ratio to scenario 1 (bare Express) and scenario 2 (the lesson's app). */
export function addRatios(rows: Row[]): void {
  const bare = rows.find((r) => r.scenario === 1 && r.rps)?.rps;
  const lesson = rows.find((r) => r.scenario === 2 && r.rps)?.rps;
  for (const row of rows) {
    if (!row.rps) continue;
    if (bare) row.vsBare = row.rps / bare;
    if (lesson) row.vsLesson = row.rps / lesson;
  }
}

const fixed = (n: number | undefined, digits = 0) => (n === undefined ? '' : n.toFixed(digits));
export const mib = (n: number | undefined) => (n === undefined ? '' : (n / MiB).toFixed(1));
const scenarioCell = (r: Row) =>
  r.round === undefined
    ? String(r.scenario)
    : r.round === 'median'
      ? `${r.scenario} med`
      : `${r.scenario}.${r.round}`;
const loginCell = (t: LoginTally | undefined) => (t ? `${t.ok} / ${t.refused} / ${t.failed}` : '');

/** The results as one Markdown table (it reads fine in a terminal too). */
export function table(rows: Row[]): string {
  const head = ['#', 'server', 'req/s', 'CPU µs/req', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'];
  const tail = ['peak RSS MiB', 'RSS growth MiB (at peak)', 'sessions held', 'logins ok / refused / failed'];
  const lines = [[...head, ...tail, '× s1 bare', '× s2 lesson'], [...head, ...tail, '', ''].map(() => '---')];
  for (const r of rows) {
    const cells = r.skipped
      ? [`skipped: ${r.skipped}`, ...Array(head.length + tail.length - 1).fill('')]
      : [
          fixed(r.rps),
          fixed(r.cpuPerRequest),
          fixed(r.p50),
          fixed(r.p99),
          fixed(r.errors),
          fixed(r.non2xx),
          mib(r.peakRss),
          r.rssGrowth === undefined ? '' : `${mib(r.rssGrowth)} (${mib(r.peakGrowth)})`,
          r.held === undefined ? '' : String(r.held),
          loginCell(r.logins),
          fixed(r.vsBare, 2),
          fixed(r.vsLesson, 2),
        ];
    lines.push([scenarioCell(r), r.server, ...cells]);
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
