// Preloaded into a server by bench/memory.ts (node --import): samples process.memoryUsage() every
// 100 ms and keeps the sample with the highest RSS, with /proc's split of it at that moment; starts
// V8's sampling heap profiler before the app loads. On SIGUSR2 it collects garbage and writes that
// sample, the heap still live, and the profile (what is live, by the code that allocated it) to
// $MEMORY_PROBE (JSON).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { getHeapSpaceStatistics } from 'node:v8';

/** What /proc says of this process now, and the V8 heap's spaces (bytes). */
const status = () => {
  const text = readFileSync('/proc/self/status', 'utf8');
  const field = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  const spaces = getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size, s.space_used_size]);
  return {
    rssAnon: field('RssAnon') * 1024,
    rssFile: field('RssFile') * 1024,
    threads: field('Threads'),
    spaces,
  };
};

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', { samplingInterval: 16 * 1024 });

let peak = { ...process.memoryUsage(), ...status() };
setInterval(() => {
  const now = process.memoryUsage();
  if (now.rss > peak.rss) peak = { ...now, ...status() };
}, 100).unref();

// a full GC first: the heap in use at the peak holds garbage V8 has not collected yet
process.on('SIGUSR2', () => {
  session.post('HeapProfiler.collectGarbage', () => {
    const live = process.memoryUsage().heapUsed;
    session.post('HeapProfiler.getSamplingProfile', (err, result) => {
      const out = err ? { peak, live, error: err.message } : { peak, live, heap: result.profile.head };
      writeFileSync(process.env.MEMORY_PROBE, JSON.stringify(out));
    });
  });
});
