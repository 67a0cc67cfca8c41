import type { Row } from './report';
import { FLOOR, LESSON, LESSON_REDIS } from './targets';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLOURS: Record<string, string> = {
  [LESSON]: '#2b6cb0',
  [LESSON_REDIS]: '#319795',
  [FLOOR]: '#c05621',
};
const BAR = 22;
const GAP = 10;
const LABEL = 190;
const PANEL = 240;
const MIB = 1024 * 1024;

/** One panel: a bar per server, with dashed lines at the peers' and the floor's values. */
function panel(bars: Row[], key: 'rps' | 'cpuPerRequest' | 'peakRss', title: string, x0: number): string {
  const unit = key === 'peakRss' ? MIB : 1;
  const value = (b: Row | undefined) => (b?.[key] === undefined ? undefined : (b[key] ?? 0) / unit);
  const max = Math.max(...bars.map((b) => value(b) ?? 0)) * 1.1 || 1;
  const scale = (v: number) => (v / max) * PANEL;
  const height = bars.length * (BAR + GAP);
  const parts = [`<text x="${x0}" y="16" font-weight="bold">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const y = 28 + i * (BAR + GAP);
    const v = value(b) ?? 0;
    const fill = COLOURS[b.server] ?? '#4a5568';
    parts.push(
      `<rect x="${x0}" y="${y}" width="${scale(v).toFixed(1)}" height="${BAR}" fill="${fill}"/>`,
      `<text x="${(x0 + scale(v) + 4).toFixed(1)}" y="${y + 16}">${v.toFixed(0)}</text>`,
    );
  });
  for (const name of [LESSON, LESSON_REDIS, FLOOR]) {
    const v = value(bars.find((b) => b.server === name));
    if (v === undefined) continue;
    const x = (x0 + scale(v)).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="24" y2="${28 + height}" stroke="${COLOURS[name]}" stroke-dasharray="4 3"/>`,
    );
  }
  return parts.join('\n');
}

/**
 * A small SVG of scenario 3's medians (or its only round): req/s, CPU µs/req and peak RSS per server,
 * the lesson's app (MemoryStore, connect-redis) and the floor in their own colours and as dashed lines
 * across the other bars.
 */
export function chart(rows: Row[], caption: string): string {
  const s3 = rows.filter((r) => r.scenario === 3 && !r.skipped && r.rps);
  const medians = s3.filter((r) => r.round === 'median');
  const bars = medians.length > 0 ? medians : s3;
  const height = 28 + bars.length * (BAR + GAP) + 40;
  const width = LABEL + 3 * (PANEL + 90);
  const labels = bars.map(
    (b, i) =>
      `<text x="${LABEL - 8}" y="${28 + i * (BAR + GAP) + 16}" text-anchor="end">${esc(b.server)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(`req/s, CPU µs per request and peak RSS per server: ${caption}`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...labels,
    panel(bars, 'rps', 'req/s (higher is better)', LABEL),
    panel(bars, 'cpuPerRequest', 'CPU µs per request (lower is better)', LABEL + PANEL + 90),
    panel(bars, 'peakRss', 'peak RSS MiB (lower is better)', LABEL + 2 * (PANEL + 90)),
    `<text x="8" y="${height - 12}" fill="#4a5568">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
