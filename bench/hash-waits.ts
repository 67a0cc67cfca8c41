// How long a burst of logins waits for password hashes: 120 wrong-password logins at once, each from
// its own address, against the app at the real scrypt cost. Target: every answer within 5 s.
// Run: npx tsx bench/hash-waits.ts
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createHttpServer } from '../src/http/server';
import { createLogger } from '../src/logger';
import { createPasswordHasher } from '../src/login/password';
import { openDatabase } from '../src/sqlite/database';
import { HashedKeyStore } from '../src/stores/hashed-keys';
import { MemorySessionStore } from '../src/stores/memory';
import { SqliteUserStore } from '../src/users/sqlite';

const LOGINS = 120;
const CORES = 2; // the defaults for a 2-core machine, whatever this one has

// defaults everywhere (SCRYPT_COST 131072, HASH_CONCURRENCY for 2 cores, HASH_MAX_WAIT_MS) but these
const config = loadConfig(
  {
    NODE_ENV: 'test',
    SESSION_SECRET: 'bench-secret-that-is-long-enough-0123456789',
    SESSION_STORE: 'memory',
    LOG_LEVEL: 'silent',
    TRUST_PROXY: 'true', // each X-Forwarded-For address counts as its own client
  },
  { cores: CORES },
);
const { scryptCost: cost, hashConcurrency: concurrency, hashMaxWaitMs: maxWaitMs } = config.login;
const hasher = createPasswordHasher({ cost, concurrency, maxWaitMs });
const users = new SqliteUserStore(openDatabase(':memory:'));
await users.create({ username: 'ada', passwordHash: await hasher.hash('the right password'), createdAt: 0 });
const backend = new MemorySessionStore({ maxSessions: 10_000, ttlMs: config.session.maxAgeMs });
const store = new HashedKeyStore(backend, config.store.timeoutMs);
const app = createApp({ config, store, users, hasher, logger: createLogger('silent') });
const { server, drain } = createHttpServer(app, config.limits);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

/** One wrong-password login from its own address: its status and how long the answer took. */
async function login(i: number): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-forwarded-for': `10.0.${i >> 8}.${i & 255}`,
    },
    body: JSON.stringify({ username: 'ada', password: `wrong password number ${i}` }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

const results = await Promise.all(Array.from({ length: LOGINS }, (_, i) => login(i)));
const count = (status: number) => results.filter((r) => r.status === status).length;
const slowest = Math.max(...results.map((r) => r.ms));
const other = results.filter((r) => r.status !== 401 && r.status !== 503).map((r) => r.status);
console.log(`SCRYPT_COST=${cost} HASH_CONCURRENCY=${concurrency} HASH_MAX_WAIT_MS=${maxWaitMs}`);
console.log(`${LOGINS} logins: ${count(401)} x 401, ${count(503)} x 503, other: [${other.join(', ')}]`);
console.log(`slowest answer: ${Math.round(slowest)} ms (target: under 5000 ms)`);
await drain();
