export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Typed readers over an environment object; empty strings count as unset. */
export function parseEnv(env: Env) {
  const raw = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value === '' ? undefined : value;
  };
  const fail = (key: string, expected: string): never => {
    throw new ConfigError(`${key} must be ${expected} (got "${raw(key)}")`);
  };

  return {
    str: (key: string, fallback: string): string => raw(key) ?? fallback,

    int(key: string, fallback: number, min: number, max: number): number {
      const value = raw(key);
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < min || n > max) fail(key, `a whole number from ${min} to ${max}`);
      return n;
    },

    bool(key: string, fallback: boolean): boolean {
      const value = raw(key)?.toLowerCase();
      if (value === undefined) return fallback;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return fail(key, 'true or false');
    },

    oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
      const value = raw(key);
      if (value === undefined) return fallback;
      if (!allowed.includes(value as T)) fail(key, `one of ${allowed.join(', ')}`);
      return value as T;
    },

    list: (key: string): string[] =>
      (raw(key) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),

    powerOfTwo(key: string, fallback: number): number {
      const n = this.int(key, fallback, 2, 2 ** 24);
      if ((n & (n - 1)) !== 0) fail(key, 'a power of two');
      return n;
    },

    /** Express's trust proxy: false, true, a hop count, or a list of addresses/names */
    trustProxy(key: string): boolean | number | string {
      const value = raw(key);
      if (value === undefined || value === 'false') return false;
      if (value === 'true') return true;
      if (/^\d+$/.test(value)) return Number(value);
      return value;
    },
  };
}
