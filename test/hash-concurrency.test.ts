import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';
import { createPasswordHasher, hashQueueLength } from '../src/login/password';

const concurrency = (env: Record<string, string>, cores: number) =>
  loadConfig(env, { cores }).login.hashConcurrency;

describe('HASH_CONCURRENCY', () => {
  it('defaults to one core fewer than the machine has, so the event loop keeps a core', () => {
    expect(concurrency({}, 2)).toBe(1);
    expect(concurrency({}, 3)).toBe(2);
    expect(concurrency({}, 1)).toBe(1); // one core: still one hash at a time, never none
  });

  it('leaves one of libuv’s threads free by default and when set', () => {
    expect(concurrency({}, 16)).toBe(3); // the default pool of 4
    expect(concurrency({ UV_THREADPOOL_SIZE: '8' }, 16)).toBe(7);
    expect(concurrency({ HASH_CONCURRENCY: '3' }, 2)).toBe(3);
    expect(() => loadConfig({ HASH_CONCURRENCY: '4' }, { cores: 16 })).toThrow(ConfigError);
    expect(() => loadConfig({ HASH_CONCURRENCY: '4' }, { cores: 16 })).toThrow(/HASH_CONCURRENCY/);
  });
});

describe('the password hash queue', () => {
  it('keeps at least the old default’s 32 places when fewer hashes run at once', () => {
    expect(hashQueueLength(1)).toBe(32);
    expect(hashQueueLength(2)).toBe(32);
    expect(hashQueueLength(3)).toBe(48);
  });

  it('queues 20 logins at once behind a single running hash instead of refusing any', async () => {
    const hasher = createPasswordHasher({ cost: 1024, concurrency: 1 });
    const stored = await hasher.hash('correct horse battery staple');

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => hasher.verify(stored, 'correct horse battery staple')),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.every((r) => r.status === 'fulfilled' && r.value)).toBe(true);
  });
});
