import type { Measured } from './load';

export interface Row extends Partial<Measured> {
  scenario: number;
  server: string;
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
  vsBare?: number;
  vsLesson?: number;
  /** the server's CPU profile, with --profile */
  profile?: string;
}

const MiB = 1024 * 1024;

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
const mib = (n: number | undefined) => (n === undefined ? '' : (n / MiB).toFixed(1));

/** The results as one Markdown table (it reads fine in a terminal too). */
export function table(rows: Row[]): string {
  const head = [
    '#',
    'server',
    'req/s',
    'CPU µs/req',
    'p50 ms',
    'p99 ms',
    'errors',
    'non-2xx',
    'peak RSS MiB',
  ];
  const lines = [
    [...head, 'RSS growth MiB (at peak)', 'sessions held', '× s1 bare', '× s2 lesson'],
    head.map(() => '---').concat(['---', '---', '---', '---']),
  ];
  for (const r of rows) {
    if (r.skipped) {
      lines.push([
        String(r.scenario),
        r.server,
        `skipped: ${r.skipped}`,
        ...head.slice(3).map(() => ''),
        '',
        '',
        '',
        '',
      ]);
      continue;
    }
    lines.push([
      String(r.scenario),
      r.server,
      fixed(r.rps),
      fixed(r.cpuPerRequest),
      fixed(r.p50),
      fixed(r.p99),
      fixed(r.errors),
      fixed(r.non2xx),
      mib(r.peakRss),
      r.rssGrowth === undefined ? '' : `${mib(r.rssGrowth)} (${mib(r.peakGrowth)})`,
      r.held === undefined ? '' : String(r.held),
      fixed(r.vsBare, 2),
      fixed(r.vsLesson, 2),
    ]);
  }
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface Check {
  target: string;
  value: string;
  met: boolean | undefined;
}

/** req/s of a server in scenario 3, the headline every target is judged on. */
const inScenario3 = (rows: Row[], server: string) =>
  rows.find((r) => r.scenario === 3 && r.server === server && r.rps)?.rps;

/** The targets, judged on scenario 3 (same workload for all) and on the flood. */
export function checks(rows: Row[], cap: number): Check[] {
  const s3 = (server: string) => inScenario3(rows, server);
  const lesson = s3('lesson app');
  const bare = rows.find((r) => r.scenario === 1)?.rps;
  const ratio = (server: string, base: number | undefined, min: number, what: string): Check => {
    const rps = s3(server);
    const value = rps && base ? rps / base : undefined;
    return {
      target: `${server} ≥ ${min.toFixed(1)}× ${what}`,
      value: value === undefined ? 'not measured' : `${value.toFixed(2)}×`,
      met: value === undefined ? undefined : value >= min,
    };
  };
  const flood = rows.find((r) => r.scenario === 5 && r.server === 'this app (memory)' && r.rps);
  return [
    ratio('this app (memory)', lesson, 1.0, 'lesson app (s3)'),
    ratio('this app (memory)', bare, 0.6, 'bare Express (s1)'),
    ratio('this app (sqlite)', lesson, 0.9, 'lesson app (s3)'),
    ratio('this app (redis)', lesson, 0.8, 'lesson app (s3)'),
    {
      target: `flood, this app (memory): ≤ ${cap} sessions and ≤ 64 MiB RSS growth`,
      value: flood
        ? `${flood.held} sessions, ${mib(flood.rssGrowth)} MiB after, ${mib(flood.peakGrowth)} MiB at peak`
        : 'not measured',
      met: flood ? Math.max(flood.rssGrowth ?? 0, flood.peakGrowth ?? 0) <= 64 * MiB : undefined,
    },
  ];
}

/**
 * The ceiling for any app on express-session: the floor server's own ratios in scenario 3. An app
 * that does anything beyond it (a real store, headers, a lock, a log) can only come in below these.
 */
export function ceiling(rows: Row[]): string | undefined {
  const floor = inScenario3(rows, 'express-session floor');
  const bare = rows.find((r) => r.scenario === 1)?.rps;
  const lesson = inScenario3(rows, 'lesson app');
  if (!floor) return undefined;
  const parts = [
    bare && `${(floor / bare).toFixed(2)}× bare Express`,
    lesson && `${(floor / lesson).toFixed(2)}× lesson app`,
  ];
  return `ceiling for any app on express-session (its floor, s3): ${parts.filter(Boolean).join(', ') || 'no baseline measured'}`;
}
