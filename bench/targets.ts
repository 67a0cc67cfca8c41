import { MiB, median, mib, type Row } from './report';

export interface Check {
  target: string;
  value: string;
  met: boolean | undefined;
  /** the moonshot: printed as a stretch line, not a promise */
  stretch?: boolean;
}

export const LESSON = 'lesson app';
export const FLOOR = 'express-session floor';
export const WITH_LOGINS = ' + 20 clients logging in';

/** A server's figure in each round of scenario 3 over the same round's figure for `base`. */
function perRound(rows: Row[], server: string, base: string, key: 'rps' | 'cpuPerRequest'): number[] {
  const ratios: number[] = [];
  for (const row of rows) {
    if (row.scenario !== 3 || row.server !== server || typeof row.round !== 'number' || !row[key]) continue;
    const other = rows.find((r) => r.scenario === 3 && r.server === base && r.round === row.round)?.[key];
    if (other) ratios.push((row[key] ?? 0) / other);
  }
  return ratios;
}

const shown = (ratios: number[]) =>
  ratios.length === 0
    ? 'not measured'
    : `${median(ratios)?.toFixed(2)}× (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`;

/** At least `min` times the lesson's app's req/s, median of the same-round ratios. */
function vsLesson(rows: Row[], server: string, min: number, stretch = false): Check {
  const ratios = perRound(rows, server, LESSON, 'rps');
  const mid = median(ratios);
  return {
    target: `${server} ≥ ${min.toFixed(2)}× the lesson app's req/s (s3, same round)`,
    value: shown(ratios),
    met: mid === undefined ? undefined : mid >= min,
    ...(stretch ? { stretch } : {}),
  };
}

/** The targets: scenario 3 judged round by round, the flood, and logins beside the site. */
export function checks(rows: Row[], cap: number): Check[] {
  const cpu = perRound(rows, 'this app (memory)', FLOOR, 'cpuPerRequest');
  const flood = rows.find((r) => r.scenario === 5 && r.server === 'this app (memory)' && r.rps);
  const quiet = rows.find((r) => r.scenario === 6 && !r.server.endsWith(WITH_LOGINS) && r.rps);
  const busy = rows.find((r) => r.scenario === 6 && r.server.endsWith(WITH_LOGINS) && r.rps);
  const versus = (what: string, key: 'p99' | 'rps', bound: number, atMost: boolean): Check => {
    const a = busy?.[key];
    const b = quiet?.[key];
    const ratio = a !== undefined && b ? a / b : undefined;
    return {
      target: `logins (s6): /increment ${what} ${atMost ? '≤' : '≥'} ${bound}× the run without logins`,
      value:
        ratio === undefined
          ? 'not measured'
          : `${ratio.toFixed(2)}× (${a?.toFixed(0)} against ${b?.toFixed(0)})`,
      met: ratio === undefined ? undefined : atMost ? ratio <= bound : ratio >= bound,
    };
  };
  return [
    vsLesson(rows, 'this app (memory)', 0.95),
    {
      target: `this app (memory) CPU µs/req ≤ 1.25× the floor's (s3, same round)`,
      value: shown(cpu),
      met: cpu.length === 0 ? undefined : (median(cpu) ?? 0) <= 1.25,
    },
    vsLesson(rows, 'this app (sqlite)', 0.85),
    vsLesson(rows, 'this app (redis)', 0.85),
    vsLesson(rows, 'this app (memory)', 1.0, true),
    {
      target: `flood, this app (memory): ≤ ${cap} sessions and ≤ 64 MiB RSS growth`,
      value: flood
        ? `${flood.held} sessions, ${mib(flood.rssGrowth)} MiB after, ${mib(flood.peakGrowth)} MiB at peak`
        : 'not measured',
      met: flood ? Math.max(flood.rssGrowth ?? 0, flood.peakGrowth ?? 0) <= 64 * MiB : undefined,
    },
    versus('p99', 'p99', 2, true),
    versus('req/s', 'rps', 0.7, false),
  ];
}

/** The floor's own place, s3 round by round: the ceiling for any app on express-session. */
export function ceiling(rows: Row[]): string | undefined {
  const ratios = perRound(rows, FLOOR, LESSON, 'rps');
  if (ratios.length === 0) return undefined;
  return `the express-session floor (a store that does nothing) against the lesson app, s3: ${shown(ratios)}`;
}
