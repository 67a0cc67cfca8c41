import { describe, expect, it, onTestFinished } from 'vitest';
import { testConfig } from './helper';
import { listen } from './support/http';
import { load } from './support/load';
import { connectedRedisStore, redisAvailable, startRedis } from './support/redis';
import { redisApp } from './support/store-redis-app';

/** An app on its own Redis store and lock, with 8 sessions incrementing against it. */
async function appUnderLoad() {
  const redis = await startRedis();
  onTestFinished(() => redis.close());
  const store = await connectedRedisStore(redis.url);
  onTestFinished(() => store.close());
  const app = redisApp(store, { config: testConfig({ SESSION_STORE: 'redis', STORE_TIMEOUT_MS: '1000' }) });
  const server = await listen(app);
  onTestFinished(() => server.close());
  const running = load(server.url, 8, { stopOnError: false });
  onTestFinished(() => void running.stop());
  return { redis, running };
}

const hasRedis = redisAvailable('redis fault tests');

describe.skipIf(!hasRedis)('GET /increment while Redis dies and comes back', () => {
  it('answers only 200 or a fast 503 (no 500, no hang), then 200 again from the same process', async () => {
    const { redis, running } = await appUnderLoad();

    await running.reached(100);
    await redis.stop();
    const down = running.results.length;
    await running.until((r) => r.slice(down).filter((x) => x.status === 503).length >= 50);
    await redis.start();
    const up = running.results.length;
    await running.until((r) => r.slice(up).filter((x) => x.status === 200).length >= 100);
    await running.stop();

    const statuses = new Set(running.results.map((r) => r.status ?? r.error));
    const outage = running.results.slice(down, up);
    expect([...statuses].sort()).toEqual([200, 503]); // no 500, no network error
    expect(outage.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(50);
    expect(Math.max(...running.results.map((r) => r.ms))).toBeLessThan(2500); // nothing hung
    expect(running.results.slice(-8).every((r) => r.status === 200)).toBe(true); // back to normal
  });

  it('answers 503 within about a second while Redis is connected but silent, then 200 again', async () => {
    const { redis, running } = await appUnderLoad();

    await running.reached(100);
    redis.pause();
    const paused = running.results.length;
    await running.until((r) => r.slice(paused).filter((x) => x.status === 503).length >= 16);
    redis.resume();
    const resumed = running.results.length;
    await running.until((r) => r.slice(resumed).filter((x) => x.status === 200).length >= 100);
    await running.stop();

    const statuses = new Set(running.results.map((r) => r.status ?? r.error));
    expect([...statuses].sort()).toEqual([200, 503]);
    expect(Math.max(...running.results.map((r) => r.ms))).toBeLessThan(2500); // deadlines, not hangs
    expect(running.results.slice(-8).every((r) => r.status === 200)).toBe(true);
  });
});
