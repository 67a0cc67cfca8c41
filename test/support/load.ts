import { Agent, get, type Outcome } from './process';

export interface LoadResult extends Outcome {
  worker: number;
  /** how long the answer took */
  ms: number;
}

/**
 * Keeps `workers` sessions incrementing, one request at a time each, until stop() or (when
 * stopOnError) a network error. Bounded: at most `workers` requests in flight.
 */
export function load(url: string, workers: number, { stopOnError = true } = {}) {
  let stopped = false;
  const results: LoadResult[] = [];
  const cookies: Array<string | undefined> = [];
  const waits: Array<{ test: () => boolean; resolve: () => void }> = [];
  const agents: Agent[] = [];
  const done = Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      while (!stopped) {
        const res = await get(agent, `${url}/increment`, cookies[worker]);
        results.push({ ...res, worker, ms: performance.now() - res.sentAt });
        for (const w of waits.filter((w) => w.test())) {
          waits.splice(waits.indexOf(w), 1);
          w.resolve();
        }
        if (res.error && stopOnError) return;
        cookies[worker] = res.cookie;
      }
    }),
  ).finally(() => {
    for (const agent of agents) agent.destroy();
  });
  return {
    results,
    cookies,
    done,
    /** resolves once the results satisfy test (checked after every answer) */
    until: (test: (results: LoadResult[]) => boolean) =>
      new Promise<void>((resolve) => waits.push({ test: () => test(results), resolve })),
    /** resolves once n answers (or errors) have come back */
    reached(n: number) {
      return this.until((r) => r.length >= n);
    },
    stop: () => {
      stopped = true;
      return done;
    },
  };
}
