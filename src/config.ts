export type StoreKind = 'sqlite' | 'memory' | 'redis';

/** Every setting, parsed and checked: what loadConfig returns. Each key is explained in .env.example. */
export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const BOOLEANS = new Map(Object.entries({ true: true, 1: true, false: false, 0: false }));

/** Typed readers over an environment object; empty strings count as unset. */
function parseEnv(env: Record<string, string | undefined>) {
  const raw = (key: string) => env[key]?.trim() || undefined;
  const fail = (key: string, expected: string): never => {
    throw new ConfigError(`${key} must be ${expected} (got "${raw(key)}")`);
  };
  // the fallback when unset; a value that `parse` refuses (undefined) is an error naming the key
  const read = <T>(key: string, fallback: T, expected: string, parse: (value: string) => T | undefined) => {
    const value = raw(key);
    return value === undefined ? fallback : (parse(value) ?? fail(key, expected));
  };

  return {
    fail,
    str: (key: string, fallback: string) => raw(key) ?? fallback,
    list: (key: string) => (raw(key) ?? '').split(/\s*,\s*/).filter(Boolean),
    bool: (key: string, fallback: boolean) =>
      read(key, fallback, 'true or false', (value) => BOOLEANS.get(value.toLowerCase())),
    oneOf: <T extends string>(key: string, allowed: readonly T[], fallback: T) =>
      read(key, fallback, `one of ${allowed.join(', ')}`, (value) => allowed.find((a) => a === value)),
    int: (key: string, fallback: number, min: number, max: number) =>
      read(key, fallback, `a whole number from ${min} to ${max}`, (value) => {
        const n = Number(value);
        return /^\d+$/.test(value) && n >= min && n <= max ? n : undefined;
      }),
  };
}

// Express's trust proxy: false, true, a hop count, or a list of addresses and names
function trustProxy(value: string): boolean | number | string {
  if (value === 'false' || value === 'true') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Reads configuration from an environment-like object: parses, defaults and validates every key,
 * and throws one ConfigError naming the first bad key. Pure: no I/O, no process.env unless passed;
 * `cores` (os.availableParallelism() in server.ts) sets HASH_CONCURRENCY's default.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, { cores } = { cores: 2 }) {
  const e = parseEnv(env);
  const production =
    e.oneOf('NODE_ENV', ['development', 'production', 'test'], 'development') === 'production';
  const secrets = e.list('SESSION_SECRET');
  if (production && secrets.length === 0)
    throw new ConfigError('SESSION_SECRET is required when NODE_ENV=production (32+ random characters)');
  if (production && secrets.some((s) => s.length < 32))
    throw new ConfigError('SESSION_SECRET: every secret must be at least 32 characters in production');
  const secure = e.bool('COOKIE_SECURE', production);
  const scryptCost = e.int('SCRYPT_COST', 131_072, 2, 2 ** 24);
  if ((scryptCost & (scryptCost - 1)) !== 0) e.fail('SCRYPT_COST', 'a power of two');
  // scrypt holds a core for its whole run: by default leave one core to the event loop, and always one
  // of libuv's threads to file system calls and dns.lookup, which share the pool. UV_THREADPOOL_SIZE is
  // libuv's own variable, read here only to bound the hashes: set it in the environment, not in .env
  const hashThreads = Math.max(1, e.int('UV_THREADPOOL_SIZE', 4, 1, 1024) - 1);
  const defaultHashes = Math.min(Math.max(1, cores - 1), hashThreads);
  const passwordMinLength = e.int('PASSWORD_MIN_LENGTH', 15, 8, 128);
  const headersTimeoutMs = e.int('HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000);
  const shutdownTimeoutMs = e.int('SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000);
  const shutdownDelayMs = e.int('SHUTDOWN_DELAY_MS', 0, 0, 600_000);
  // long enough for a first server to finish draining
  const claimWaitMs = shutdownDelayMs + shutdownTimeoutMs + 2000;

  return {
    production,
    port: e.int('PORT', 3000, 0, 65535),
    host: e.str('HOST', '127.0.0.1'),
    trustProxy: trustProxy(e.str('TRUST_PROXY', 'false')),
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
      sqliteClaimWaitMs: e.int('SQLITE_CLAIM_WAIT_MS', claimWaitMs, 0, 3_600_000),
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
      scryptCost,
      hashConcurrency: e.int('HASH_CONCURRENCY', defaultHashes, 1, hashThreads),
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
