import { ConfigError, parseEnv } from './config-readers';

export { ConfigError };

export type StoreKind = 'sqlite' | 'memory' | 'redis';

/** Every setting, parsed and checked: what loadConfig returns. Each key is explained in .env.example. */
export type Config = ReturnType<typeof loadConfig>;

/** Facts about the machine that some defaults follow; server.ts reads them, tests pass their own. */
export interface MachineFacts {
  /** CPUs this process may use: os.availableParallelism() */
  cores: number;
}

/**
 * Password hashes at once by default: scrypt holds a core for its whole run, so leave one core to the
 * event loop, and leave one of libuv's threads (UV_THREADPOOL_SIZE, 4 by default) to file system
 * calls and dns.lookup, which share the pool.
 */
export const defaultHashConcurrency = (cores: number, threadPool: number) =>
  Math.max(1, Math.min(cores - 1, threadPool - 1));

/**
 * Reads configuration from an environment-like object: parses, defaults and validates every key,
 * and throws one ConfigError naming the first bad key. Pure: no I/O, no process.env unless passed.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  facts: MachineFacts = { cores: 2 },
) {
  const e = parseEnv(env);
  // libuv's own variable, read here only to bound the hashes: set it in the environment, not in .env
  const threadPool = e.int('UV_THREADPOOL_SIZE', 4, 1, 1024);
  const production =
    e.oneOf('NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
  const secrets = e.list('SESSION_SECRET');
  if (production && secrets.length === 0) {
    throw new ConfigError('SESSION_SECRET is required when NODE_ENV=production (32+ random characters)');
  }
  if (production && secrets.some((s) => s.length < 32)) {
    throw new ConfigError('SESSION_SECRET: every secret must be at least 32 characters in production');
  }
  const secure = e.bool('COOKIE_SECURE', production);
  const passwordMinLength = e.int('PASSWORD_MIN_LENGTH', 15, 8, 128);
  const headersTimeoutMs = e.int('HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000);
  const shutdownTimeoutMs = e.int('SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000);
  const shutdownDelayMs = e.int('SHUTDOWN_DELAY_MS', 0, 0, 600_000);

  return {
    production,
    port: e.int('PORT', 3000, 0, 65535),
    host: e.str('HOST', '127.0.0.1'),
    trustProxy: e.trustProxy('TRUST_PROXY') as boolean | number | string,
    logLevel: e.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    // the /store page: every session in the store, for the lesson; only to loopback clients
    storePage: e.bool('STORE_PAGE', !production),
    session: {
      secrets,
      /** where the secret comes from, as the pages show it (never the secret itself) */
      secretSource:
        secrets.length > 0 ? 'process.env.SESSION_SECRET' : 'data/session-secret (made for development)',
      // __Host- makes the browser insist on Secure, Path=/ and no Domain
      cookieName: secure ? '__Host-sid' : 'sid',
      secure,
      maxAgeMs: e.int('SESSION_MAX_AGE_SECONDS', 86_400, 60, 31_536_000) * 1000,
    },
    store: {
      kind: e.oneOf('SESSION_STORE', ['sqlite', 'memory', 'redis'], 'sqlite'),
      sqlitePath: e.str('SQLITE_PATH', 'data/app.db'),
      sqliteMaxSessions: e.int('SQLITE_MAX_SESSIONS', 1_000_000, 1, 1e9),
      // long enough for a first server to finish draining: SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS and a little
      sqliteClaimWaitMs: e.int(
        'SQLITE_CLAIM_WAIT_MS',
        shutdownDelayMs + shutdownTimeoutMs + 2000,
        0,
        3_600_000,
      ),
      memoryMaxSessions: e.int('MEMORY_MAX_SESSIONS', 10_000, 1, 1e8),
      redisUrl: e.str('REDIS_URL', 'redis://127.0.0.1:6379'),
      redisPrefix: e.str('REDIS_PREFIX', 'sess:'),
      redisMaxSessions: e.int('REDIS_MAX_SESSIONS', 1_000_000, 1, 1e9),
      maxSessionsPerUser: e.int('MAX_SESSIONS_PER_USER', 20, 1, 10_000),
      timeoutMs: e.int('STORE_TIMEOUT_MS', 1000, 10, 60_000),
    },
    login: {
      passwordMinLength,
      passwordMaxLength: e.int('PASSWORD_MAX_LENGTH', 128, passwordMinLength, 1024),
      scryptCost: e.powerOfTwo('SCRYPT_COST', 131_072),
      hashConcurrency: e.int(
        'HASH_CONCURRENCY',
        defaultHashConcurrency(facts.cores, threadPool),
        1,
        Math.max(1, threadPool - 1), // never every thread of the pool
      ),
      hashMaxWaitMs: e.int('HASH_MAX_WAIT_MS', 2000, 10, 60_000),
      maxAgeMs: e.int('LOGIN_MAX_AGE_SECONDS', 43_200, 60, 31_536_000) * 1000,
      maxAttempts: e.int('LOGIN_MAX_ATTEMPTS', 5, 1, 1000),
      maxAttemptsPerIp: e.int('LOGIN_MAX_ATTEMPTS_PER_IP', 100, 1, 100_000),
      attemptWindowMs: e.int('LOGIN_ATTEMPT_WINDOW_SECONDS', 900, 1, 86_400) * 1000,
      allowedOrigins: e.list('ALLOWED_ORIGINS'),
      maxCounters: e.int('LOGIN_MAX_COUNTERS', 100_000, 1, 1e8),
      reauthMaxAgeMs: e.int('REAUTH_MAX_AGE_SECONDS', 300, 1, 86_400) * 1000,
      clearSiteCookies: e.bool('CLEAR_SITE_COOKIES', false),
    },
    users: {
      databaseUrl: e.str('DATABASE_URL', ''),
      databasePoolSize: e.int('DATABASE_POOL_SIZE', 10, 1, 1000),
    },
    lock: {
      waitMs: e.int('LOCK_WAIT_MS', 5000, 10, 60_000),
      ttlMs: e.int('LOCK_TTL_MS', 10_000, 100, 600_000),
      maxWaiters: e.int('LOCK_MAX_WAITERS', 200, 1, 100_000),
    },
    limits: {
      maxHeaderSize: e.int('MAX_HEADER_SIZE', 16_384, 8192, 1_048_576),
      bodyLimitBytes: e.int('BODY_LIMIT_BYTES', 16_384, 1024, 10_485_760),
      headersTimeoutMs,
      // Node refuses a request timeout shorter than the headers timeout; say so here, by name
      requestTimeoutMs: e.int(
        'REQUEST_TIMEOUT_MS',
        Math.max(30_000, headersTimeoutMs),
        headersTimeoutMs,
        600_000,
      ),
      keepAliveTimeoutMs: e.int('KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000),
      shutdownTimeoutMs,
      shutdownDelayMs,
    },
  };
}
