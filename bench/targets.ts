import { MiB, median, mib, type Row } from './report';
import { label } from './servers';

export interface Check {
  target: string;
  value: string;
  met: boolean | undefined;
  /** the moonshot: printed as a stretch line, not a promise */
  stretch?: boolean;
}

export const LESSON = label({ kind: 'lesson' });
export const LESSON_REDIS = label({ kind: 'lesson-redis' });
export const FLOOR = label({ kind: 'floor' });
export const WITH_LOGINS = ' + 20 clients logging in';

type Key = 'rps' | 'cpuPerRequest' | 'peakRss';
const WHAT: Record<Key, string> = { rps: 'req/s', cpuPerRequest: 'CPU µs/req', peakRss: 'peak RSS' };
const WHOSE: Record<string, string> = {
  [LESSON]: 'the lesson app',
  [LESSON_REDIS]: 'the lesson app on connect-redis',
  [FLOOR]: 'the floor (a store that does nothing)',
};

/** A server's figure in each round of scenario 3 over the same round's figure for `base`. */
function perRound(rows: Row[], server: string, base: string, key: Key): number[] {
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

/**
 * `server`'s `key` at most (CPU, memory) or at least (req/s) `bound` times `base`'s, each round against
 * the same round's, judged on the median of those ratios.
 */
function vs(rows: Row[], server: string, key: Key, bound: number, base: string, stretch = false): Check {
  const ratios = perRound(rows, server, base, key);
  const mid = median(ratios);
  const atLeast = key === 'rps';
  const whose = WHOSE[base] ?? base;
  return {
    target: `${server}: ${WHAT[key]} ${atLeast ? '≥' : '≤'} ${bound.toFixed(2)}× ${whose} (same round of s3)`,
    value: shown(ratios),
    met: mid === undefined ? undefined : atLeast ? mid >= bound : mid <= bound,
    ...(stretch ? { stretch } : {}),
  };
}

const app = (store: 'memory' | 'sqlite' | 'redis', compiled = false) =>
  label({ kind: 'app', store, compiled });

/**
 * The targets of scenario 3 for this app on one store, started one way: CPU against the floor and,
 * on memory and SQLite, peak RSS against the lesson's app (issue 27); judged for both starts.
 */
function costs(rows: Row[], store: 'memory' | 'sqlite', cpu: number, compiled: boolean): Check[] {
  const server = app(store, compiled);
  return [vs(rows, server, 'cpuPerRequest', cpu, FLOOR), vs(rows, server, 'peakRss', 1.3, LESSON)];
}

/** The targets: scenario 3 judged round by round, the flood, and logins beside the site. */
export function checks(rows: Row[], cap: number): Check[] {
  const flood = rows.find((r) => r.scenario === 5 && r.server === app('memory') && r.rps);
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
    vs(rows, app('memory'), 'rps', 0.95, LESSON),
    ...costs(rows, 'memory', 1.2, false),
    ...costs(rows, 'memory', 1.2, true),
    vs(rows, app('sqlite'), 'rps', 0.85, LESSON),
    ...costs(rows, 'sqlite', 1.4, false),
    ...costs(rows, 'sqlite', 1.4, true),
    vs(rows, app('redis'), 'rps', 0.85, LESSON),
    vs(rows, app('redis'), 'rps', 0.9, LESSON_REDIS),
    vs(rows, app('redis'), 'cpuPerRequest', 1.3, FLOOR),
    vs(rows, app('memory'), 'rps', 1.0, LESSON, true),
    {
      target: `flood, this app (memory): ≤ ${cap} sessions and ≤ 64 MiB RSS growth`,
      value: flood
        ? `${flood.held} sessions, ${mib(flood.rssGrowth)} MiB after, ${mib(flood.peakGrowth)} MiB at peak`
        : 'not measured',
      met: flood ? Math.max(flood.rssGrowth ?? 0, flood.peakGrowth ?? 0) <= 64 * MiB : undefined,
    },
    versus('p99', 'p99', 2, true),
    versus('req/s', 'rps', 0.8, false),
  ];
}

/** The floor's own place, s3 round by round: the ceiling for any app on express-session. */
export function ceiling(rows: Row[]): string | undefined {
  const ratios = perRound(rows, FLOOR, LESSON, 'rps');
  if (ratios.length === 0) return undefined;
  return `the express-session floor (a store that does nothing) against the lesson app, s3: ${shown(ratios)}`;
}
